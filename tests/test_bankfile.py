"""Reading and validating bank files, and loading them idempotently."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from studyapp.interchange.bankfile import BankFileError, read_bank_file
from studyapp.interchange.sourcetext import SourceError, parse_source
from studyapp.interchange.store import StoreError, store_bank
from studyapp.kinds import KINDS
from studyapp.models import Option, Passage, Question

from tests.conftest import SYMPOSIUM_BANK, TINY_ITEMS


def test_shipped_bank_is_complete():
    """The symposium bank has 40+ items, all five kinds, an explanation each, and cites every passage."""
    bank = read_bank_file(SYMPOSIUM_BANK)
    assert len(bank.items) >= 40
    assert {i.kind for i in bank.items} == set(KINDS)
    assert all(i.explanation for i in bank.items)
    cited = {i.passage for i in bank.items}
    assert cited == set(range(1, len(bank.document.passages) + 1))
    assert len({i.ext_id for i in bank.items}) == len(bank.items)


def test_source_passages_are_numbered_under_headings():
    """Paragraphs become passages 1..n; '#' lines are headings, not passages."""
    doc = parse_source("---\nslug: s1\ntitle: T\n---\n\n## A\n\nOne.\n\nTwo\ncontinued.\n\n## B\n\nThree.\n")
    assert [(p.number, p.heading, p.text) for p in doc.passages] == [
        (1, "A", "One."), (2, "A", "Two continued."), (3, "B", "Three.")]


def test_source_without_front_matter_is_refused():
    """A study text needs front matter; the error gives the line."""
    with pytest.raises(SourceError) as err:
        parse_source("no front matter\n")
    assert err.value.line == 1


def _write(tmp_path: Path, items: str, header: str | None = None) -> Path:
    (tmp_path / "src.md").write_text("---\nslug: src\ntitle: Src\n---\n\nOnly passage.\n")
    path = tmp_path / "bank.yaml"
    path.write_text((header or "format: studyapp-bank/1\nslug: bk\ntitle: B\nsource: src.md\nitems:\n") + items)
    return path


@pytest.mark.parametrize("item, reason", [
    ('  - {id: x-1, kind: essay, stem: "S", explanation: "E"}', "kind"),
    ('  - {id: x-1, kind: single_choice, stem: "S", explanation: "E", options: [{text: a}, {text: b}]}',
     "exactly one key"),
    ('  - {id: x-1, kind: cloze, stem: "A ___ and ___", explanation: "E", gaps: [["x"]]}', "2 gap(s)"),
    ('  - {id: x-1, kind: true_false, stem: "S", explanation: "E", key: true, passage: 9}',
     "passage 9 does not exist"),
    ('  - {id: x-1, kind: short_answer, stem: "S", explanation: "E", answers: ["  "]}', "accepted answer"),
    ('  - {id: x-1, kind: single_choice, stem: "S", explanation: "E", options: [{text: a, key: true}, {text: A}]}',
     "same text"),
    ('  - {id: x-1, kind: true_false, stem: "S", key: true}', "explanation"),
])
def test_invalid_items_are_refused_with_file_line_id_and_reason(tmp_path, item, reason):
    """Each rule violation names the file, the line, the item id and the reason."""
    path = _write(tmp_path, item + "\n")
    with pytest.raises(BankFileError) as err:
        read_bank_file(path)
    message = str(err.value)
    assert f"{path}:" in message and "item x-1" in message and reason in message


def test_duplicate_ids_and_yaml_errors(tmp_path):
    """A repeated id is refused; broken YAML gives its line."""
    item = '  - {id: d-1, kind: true_false, stem: "S", explanation: "E", key: true}\n'
    with pytest.raises(BankFileError, match="d-1: duplicate item id"):
        read_bank_file(_write(tmp_path, item + item))
    with pytest.raises(BankFileError) as err:
        read_bank_file(_write(tmp_path, "  - {id: [unclosed\n"))
    assert err.value.problems[0][1] in (6, 7)  # the item starts on line 6


def test_invalid_file_writes_nothing(db, tmp_path):
    """A file with one bad item among good ones loads nothing at all."""
    good = '  - {id: g-1, kind: true_false, stem: "S", explanation: "E", key: true}\n'
    bad = '  - {id: g-2, kind: true_false, stem: "S", explanation: "E"}\n'
    with pytest.raises(BankFileError):
        store_bank(read_bank_file(_write(tmp_path, good + bad)))
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0


def test_load_twice_changes_nothing_then_edit_updates_in_place(db, tmp_path, make_bank):
    """Reloading is idempotent; an edited item is updated in place (same row and option ids)."""
    bank = make_bank(TINY_ITEMS)
    before = {q.ext_id: (q.id, [o.id for o in q.options]) for q in bank.items}
    report = store_bank(read_bank_file(tmp_path / "tiny.yaml"))
    assert (report.created, report.updated, len(report.unchanged)) == ([], [], 5)
    path = tmp_path / "tiny.yaml"
    path.write_text(path.read_text().replace("Pick the right one.", "Pick the correct one.")
                    .replace('{text: "Wrong A"}', '{text: "Wrong C"}'))
    report = store_bank(read_bank_file(path))
    assert report.updated == ["t-single"] and len(report.unchanged) == 4
    db.session.expire_all()
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-single"))
    assert item.stem == "Pick the correct one."
    old_id, old_options = before["t-single"]
    assert item.id == old_id
    assert [o.text for o in item.options] == ["Right", "Wrong C", "Wrong B"]
    # options are matched by text: Right and Wrong B keep their rows, Wrong C is new
    assert item.options[0].id == old_options[0] and item.options[2].id == old_options[2]
    assert item.options[1].id not in old_options


def test_items_cite_their_passage(db, make_bank):
    """Loaded items point at the passage row with the cited number."""
    make_bank(TINY_ITEMS)
    item = db.session.scalar(select(Question).where(Question.ext_id == "t-tf"))
    assert item.passage.number == 3 and item.passage.text == "Third passage text."
    assert [(o.text, o.is_key) for o in item.options] == [("True", False), ("False", True)]


def _current(db, ext_id):
    db.session.expire_all()
    return db.session.scalar(select(Question).where(Question.ext_id == ext_id, Question.superseded_by_id.is_(None)))


@pytest.mark.parametrize("edits, options", [
    ([('{text: "Right", key: true}', '{text: "Right"}'),              # the key moves
      ('{text: "Wrong B"}', '{text: "Wrong B", key: true}')],
     [("Right", False), ("Wrong A", False), ("Wrong B", True)]),
    ([('{text: "Wrong A"}', '{text: "Wrong D"}')],                    # an option is reworded
     [("Right", True), ("Wrong D", False), ("Wrong B", False)]),
    ([('      - {text: "Wrong B"}\n', '')],                            # an option is removed
     [("Right", True), ("Wrong A", False)]),
    ([("Pick the right one.", "Choose the right one.")],              # the stem is reworded
     [("Right", True), ("Wrong A", False), ("Wrong B", False)]),
])
def test_reloading_a_used_item_makes_a_new_version(db, tmp_path, make_bank, make_user, edits, options):
    """Once an item is in attempts, reloading its bank file with other options, keys or stem
    saves version 2; version 1, which the attempt shows, keeps its options and is retired."""
    from studyapp.attempting import start_attempt

    bank = make_bank(TINY_ITEMS)
    attempt = start_attempt(make_user(), bank, 5)
    v1 = _current(db, "t-single")
    v1_id, v1_options = v1.id, [(o.text, o.is_key) for o in v1.options]
    path = tmp_path / "tiny.yaml"
    text = path.read_text()
    for old, new in edits:
        text = text.replace(old, new, 1)
    path.write_text(text)
    assert store_bank(read_bank_file(path)).updated == ["t-single (version 2)"]
    v2 = _current(db, "t-single")
    assert v2.version == 2 and v2.previous_id == v1_id and [(o.text, o.is_key) for o in v2.options] == options
    old = db.session.get(Question, v1_id)
    assert [(o.text, o.is_key) for o in old.options] == v1_options and old.status == "retired"
    assert old.superseded_by_id == v2.id and old.stem == "Pick the right one."
    assert v1_id in {ai.item_id for ai in attempt.attempt_items}
    assert store_bank(read_bank_file(path)).updated == []          # loading again changes nothing


def test_used_item_may_be_reordered_in_place(db, tmp_path, make_bank, make_user):
    """Only reordering a used item's options (each attempt keeps its own order) updates it in
    place: the same row and option rows, no new version."""
    from studyapp.attempting import start_attempt

    bank = make_bank(TINY_ITEMS)
    start_attempt(make_user(), bank, 5)
    ids = {o.text: o.id for o in _current(db, "t-single").options}
    path = tmp_path / "tiny.yaml"
    text = path.read_text().replace('      - {text: "Right", key: true}\n      - {text: "Wrong A"}\n',
                                    '      - {text: "Wrong A"}\n      - {text: "Right", key: true}\n')
    path.write_text(text)
    assert store_bank(read_bank_file(path)).updated == ["t-single"]
    item = _current(db, "t-single")
    assert item.version == 1
    assert [(o.text, o.id) for o in item.options] == [("Wrong A", ids["Wrong A"]), ("Right", ids["Right"]),
                                                       ("Wrong B", ids["Wrong B"])]


def test_used_text_item_gets_a_new_version_for_new_accepted_answers(db, tmp_path, make_bank, make_user):
    """A short-answer item in attempts whose accepted answers change gets version 2; version 1 keeps its answers."""
    from studyapp.attempting import start_attempt

    bank = make_bank(TINY_ITEMS)
    start_attempt(make_user(), bank, 5)
    v1_id = _current(db, "t-short").id
    path = tmp_path / "tiny.yaml"
    path.write_text(path.read_text().replace('answers: ["Harbin", "Haerbin"]', 'answers: ["Harbin", "Ha-erbin"]'))
    store_bank(read_bank_file(path))
    assert [a.text for a in _current(db, "t-short").accepted_answers] == ["Harbin", "Ha-erbin"]
    assert [a.text for a in db.session.get(Question, v1_id).accepted_answers] == ["Harbin", "Haerbin"]


def test_bank_file_text_reads_back_the_same_items(tmp_path):
    """``bank_file_text`` writes every kind, with quotes, backslashes, colons, '#' and non-Latin
    letters in the texts, so that ``read_bank_file`` gives back the same items; a broken item
    is refused before anything is written."""
    from studyapp.interchange.bankfile import bank_file_text

    tricky = 'He said: "Harbin\\\\Shenyang" #1 — 哈尔滨 ’quoted’'
    items = [
        {"id": "t-1", "kind": "single_choice", "origin": "generated", "status": "draft",
         "stem": f"Which? {tricky}", "options": [{"text": tricky, "key": True}, {"text": "- no: 'x'"}],
         "explanation": tricky},
        {"id": "t-2", "kind": "multiple_response", "stem": "Pick: all?", "explanation": "e",
         "options": [{"text": "a", "key": True}, {"text": "b", "key": True}, {"text": "c"}]},
        {"id": "t-3", "kind": "true_false", "stem": "yes: no", "key": False, "explanation": "e", "origin": "edited"},
        {"id": "t-4", "kind": "short_answer", "stem": "Who?", "answers": [tricky, "Xi"], "explanation": "e"},
        {"id": "t-5", "kind": "cloze", "stem": "On ___ in ___.", "gaps": [["7", "seventh"], ["哈尔滨"]],
         "explanation": "e", "status": "retired"},
    ]
    path = tmp_path / "bank.yaml"
    path.write_text(bank_file_text("round-trip", f"Title: {tricky}", items, description="d: e"), encoding="utf-8")
    bank = read_bank_file(path)
    assert bank.title == f"Title: {tricky}" and bank.description == "d: e"
    got = {i.ext_id: i for i in bank.items}
    assert got["t-1"].stem == f"Which? {tricky}" and got["t-1"].explanation == tricky
    assert [(o.text, o.is_key) for o in got["t-1"].options] == [(tricky, True), ("- no: 'x'", False)]
    assert (got["t-1"].status, got["t-1"].origin) == ("draft", "generated")
    assert [o.text for o in got["t-2"].options if o.is_key] == ["a", "b"]
    assert [(o.text, o.is_key) for o in got["t-3"].options] == [("True", False), ("False", True)]
    assert got["t-3"].origin == "edited" and got["t-4"].answers == [[tricky, "Xi"]]
    assert got["t-5"].answers == [["7", "seventh"], ["哈尔滨"]] and got["t-5"].status == "retired"
    with pytest.raises(BankFileError, match="t-6"):
        bank_file_text("x", "x", [{"id": "t-6", "kind": "single_choice", "stem": "S?", "explanation": "e",
                                   "options": [{"text": "a"}, {"text": "b"}]}])


# --- the same format as JSON or YAML, carrying its study text (exports and uploads) ---------------

def test_json_and_yaml_round_trip_with_the_study_text():
    """bank_json / bank_yaml write the whole bank, study text included; reading either back gives
    the same records (items, passages, title, description), also with no directory to read from."""
    from studyapp.interchange.bankfile import bank_json, bank_yaml, read_bank_text

    bank = read_bank_file(SYMPOSIUM_BANK)
    for text, as_json in ((bank_json(bank), True), (bank_yaml(bank), False)):
        back = read_bank_text(text, "upload", as_json=as_json)
        assert back == bank
        assert back.document.passages[15].number == 16 and back.document.passages[0].heading


@pytest.mark.parametrize("text, as_json, reason", [
    ('{"format": "studyapp-bank/1", "slug": "ab", "title": "T", "source": "x.md", "items": '
     '[{"id": "a", "kind": "true_false", "stem": "S", "explanation": "E", "key": true}]}', True,
     "'source' names a file beside the bank file"),
    ('{"format": "studyapp-bank/1", "slug": "ab",\n "title": "T" "items": []}', True, "upload:2: not valid JSON"),
    ('format: studyapp-bank/1\nslug: ab\ntitle: T\nsource: x.md\ndocument: {slug: dd, title: D, passages: '
     '[{number: 1, text: P}]}\nitems:\n  - {id: a, kind: true_false, stem: S, explanation: E, key: true}\n', False,
     "either 'source' (a file) or 'document'"),
    ('format: studyapp-bank/1\nslug: ab\ntitle: T\ndocument: {slug: dd, title: D, passages: '
     '[{number: 2, text: P}]}\nitems:\n  - {id: a, kind: true_false, stem: S, explanation: E, key: true}\n', False,
     "numbered 1, 2, 3"),
    ('format: studyapp-bank/1\nslug: ab\ntitle: T\ndocument: {slug: dd, title: D, passages: '
     '[{number: 1, text: P}]}\nitems:\n  - {id: a, kind: true_false, stem: S, explanation: E, key: true, passage: 2}\n',
     False, "upload:6: item a: passage 2 does not exist (the source has 1)"),
    ('format: studyapp-bank/1\nslug: ab\ntitle: T\nitems:\n  - {id: a, kind: single_choice, stem: S, explanation: E,'
     ' options: [{text: x, key: true}, {text: y}], true_feedback: "no"}\n', False,
     "only a true_false item takes 'true_feedback'"),
])
def test_bank_text_problems(text, as_json, reason):
    from studyapp.interchange.bankfile import read_bank_text

    with pytest.raises(BankFileError) as err:
        read_bank_text(text, "upload", as_json=as_json)
    assert reason in str(err.value)


def test_explanation_required_in_bank_files_but_not_in_imports():
    from studyapp.interchange.bankfile import read_bank_text

    text = "format: studyapp-bank/1\nslug: ab\ntitle: T\nitems:\n  - {id: a, kind: true_false, stem: S, key: true}\n"
    with pytest.raises(BankFileError, match="item a: explanation: give an explanation"):
        read_bank_text(text, "f.yaml")
    assert read_bank_text(text, "f.yaml", lenient=True).items[0].explanation == ""

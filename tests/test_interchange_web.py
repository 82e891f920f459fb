"""Import (upload, preview, confirm) and export pages for instructors, and the same through the CLI."""
from __future__ import annotations

import base64
import io
import json
import re

import pytest
from sqlalchemy import func, select

from studyapp.interchange.formats import FORMATS
from studyapp.interchange.store import bank_record
from studyapp.models import Bank, Document, Question

GIFT = """\
$CATEGORY: Northeast

::city::Where was the symposium held? {=Harbin ~Shenyang ~Changchun #Not that one.####Passage 1 names Harbin.}

::tf::Heilongjiang borders Russia. {T####It does.}

::essay::Write a paragraph on the region's strengths. {}
"""


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or \
        re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def confirm_data(page: str) -> dict:
    form = page[page.index('id="confirm-form"'):]
    return {name: hidden(form, name) for name in ("csrf_token", "bank", "new_title", "fmt", "new_status", "new_bank", "filename", "content", "digest")}


def upload(client, csrf, data: bytes, name: str, bank="__new__", slug="", title="", fmt="auto", new_status="published"):
    return client.post("/teach/import", data={
        "csrf_token": csrf(client), "bank": bank, "new_slug": slug, "new_title": title, "fmt": fmt,
        "new_status": new_status,
        "file": (io.BytesIO(data), name), "preview": "Preview"}, content_type="multipart/form-data")


def test_gift_upload_preview_then_confirm(client, db, login_as, csrf):
    """The preview lists the items, the change each makes and the essay left out, and writes nothing;
    Import writes them in one go; importing the same file again changes nothing."""
    login_as("instructor")
    page = upload(client, csrf, GIFT.encode("utf-8"), "northeast.gift", slug="ne", title="North-east")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[:2000]
    assert "2 item(s) to import into <strong>ne</strong>:\n  2 new, 0 changed, 0 unchanged" in text
    assert "line 7: essay (essay)" in text
    assert "Where was the symposium held?" in text and "<mark>Harbin</mark>" in text
    assert count(db, Bank) == 0 and count(db, Question) == 0

    done = client.post("/teach/import/confirm", data=confirm_data(text))
    assert done.status_code == 303 and done.headers["Location"].endswith("/teach/banks/ne/export")
    bank = db.session.scalar(select(Bank).where(Bank.slug == "ne"))
    assert bank.title == "North-east"
    items = {q.ext_id: q for q in bank.items}
    assert set(items) == {"city", "tf"}
    assert [(o.text, o.is_key) for o in items["city"].options] == [("Harbin", True), ("Shenyang", False),
                                                                   ("Changchun", False)]
    assert items["tf"].kind == "true_false" and items["tf"].explanation == "It does."
    flashed = client.get("/teach/banks/ne/export").get_data(as_text=True)
    assert "Imported northeast.gift: bank ne: 2 created, 0 updated, 0 unchanged" in flashed
    assert "1 question(s) of kinds studyapp does not support were left out" in flashed

    again = upload(client, csrf, GIFT.encode("utf-8"), "northeast.gift", bank="ne").get_data(as_text=True)
    assert "0 new, 0 changed, 2 unchanged" in again
    client.post("/teach/import/confirm", data=confirm_data(again))
    assert count(db, Question) == 2


@pytest.mark.parametrize("data, name, status, words", [
    (b"::q:: Unclosed {=a ~b\n", "bad.gift", 400, "bad.gift:1"),
    (b"id,kind,stem\nq1,single_choice,\n", "bad.csv", 400, "bad.csv:"),
    (b"\xff\xfe not text", "bad.gift", 400, "not UTF-8"),
    (b"anything", "notes.docx", 400, "cannot tell the format from &#39;.docx&#39;"),
    (b'{"format": "studyapp-bank/1", "slug": "xy", "title": "X", "source": "../../etc/passwd",'
     b' "items": [{"id": "a", "kind": "true_false", "stem": "S", "key": true}]}', "x.json", 400,
     "which an uploaded file does not have"),
])
def test_bad_files_are_refused_with_a_reason_and_nothing_written(client, db, login_as, csrf, data, name, status, words):
    login_as("instructor")
    page = upload(client, csrf, data, name, slug="ne")
    text = page.get_data(as_text=True)
    assert page.status_code == status and "Nothing can be imported from this file" in text and words in text, text[-3000:]
    assert 'id="confirm-form"' not in text
    assert count(db, Bank) == 0 and count(db, Question) == 0


def test_upload_without_file_or_bank_id_and_existing_slug(client, db, login_as, csrf, make_bank):
    from tests.conftest import TINY_ITEMS

    make_bank(TINY_ITEMS)
    login_as("instructor")
    no_file = client.post("/teach/import", data={"csrf_token": csrf(client), "bank": "tiny", "fmt": "auto"})
    assert no_file.status_code == 400 and "Choose a file to import." in no_file.get_data(as_text=True)
    no_id = upload(client, csrf, GIFT.encode(), "a.gift")
    assert no_id.status_code == 400 and "Give the new bank an id" in no_id.get_data(as_text=True)
    taken = upload(client, csrf, GIFT.encode(), "a.gift", slug="tiny")
    assert taken.status_code == 409 and "There is already a bank" in taken.get_data(as_text=True)
    bad_slug = upload(client, csrf, GIFT.encode(), "a.gift", slug="Not A Slug")
    assert bad_slug.status_code == 400 and "lower-case letters" in bad_slug.get_data(as_text=True)


def test_oversized_upload_is_413(app, client, db, login_as, csrf):
    login_as("instructor")
    big = b"// " + b"x" * (app.config["MAX_IMPORT_BYTES"]) + b"\n"
    page = upload(client, csrf, big, "big.gift", slug="ne")
    assert page.status_code == 413 and "larger than 2 MB" in page.get_data(as_text=True)
    huge = client.post("/teach/import", data={"file": (io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), "h.gift")},
                       content_type="multipart/form-data")
    assert huge.status_code == 413
    assert count(db, Bank) == 0


def test_confirm_refuses_a_changed_file_or_bank(client, db, login_as, csrf):
    """The confirm step imports only what was previewed: another file or bank under the same signature is 400."""
    login_as("instructor")
    text = upload(client, csrf, GIFT.encode(), "northeast.gift", slug="ne").get_data(as_text=True)
    data = confirm_data(text)
    other = dict(data, content=base64.b64encode(b"::x::Other {T####Yes.}\n").decode())
    assert client.post("/teach/import/confirm", data=other).status_code == 400
    moved = dict(data, bank="elsewhere")
    assert client.post("/teach/import/confirm", data=moved).status_code == 400
    no_token = dict(data, csrf_token="")
    assert client.post("/teach/import/confirm", data=no_token).status_code == 400
    assert count(db, Bank) == 0


def test_store_conflict_is_409_and_writes_nothing(client, db, login_as, csrf, symposium_bank):
    """A file that carries another study text cannot go into a bank whose text differs."""
    record = bank_record(symposium_bank)
    record.document.passages[0].text = "Some other first passage."
    data, _ = FORMATS["json"].write(record)
    login_as("instructor")
    page = upload(client, csrf, data, "other.json", bank="harbin-symposium-2023")
    assert page.status_code == 409 and "whose passages differ" in page.get_data(as_text=True)
    assert db.session.get(Document, symposium_bank.document_id).passages[0].text != "Some other first passage."


def test_export_page_and_downloads(client, db, login_as, symposium_bank):
    """Every format downloads with its name and type; the page says what each leaves out (Aiken: no cloze)."""
    login_as("instructor")
    page = client.get("/teach/banks/harbin-symposium-2023/export").get_data(as_text=True)
    for fmt in FORMATS.values():
        assert f'href="/teach/banks/harbin-symposium-2023/export/{fmt.name}"' in page
    cloze = [q.ext_id for q in symposium_bank.items if q.kind in ("cloze", "short_answer", "multiple_response")]
    assert f"{len(cloze)}: {', '.join(cloze)}" in page  # Aiken carries single choice and true/false only
    got = client.get("/teach/banks/harbin-symposium-2023/export/json")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.headers["Content-Disposition"] == 'attachment; filename="harbin-symposium-2023.json"'
    data = json.loads(got.get_data(as_text=True))
    assert data["slug"] == "harbin-symposium-2023" and len(data["items"]) == 44
    assert len(data["document"]["passages"]) == 16
    assert client.get("/teach/banks/harbin-symposium-2023/export/docx").status_code == 404
    assert client.get("/teach/banks/nope/export/json").status_code == 404


@pytest.mark.parametrize("url, method", [
    ("/teach/import", "get"), ("/teach/import", "post"), ("/teach/import/confirm", "post"),
    ("/teach/banks/harbin-symposium-2023/export", "get"), ("/teach/banks/harbin-symposium-2023/export/json", "get"),
])
def test_learners_and_strangers_are_kept_out(client, db, login_as, symposium_bank, url, method):
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code in (302, 400) and b"harbin" not in anonymous.data[:0]
    if anonymous.status_code == 302:
        assert "/auth/login" in anonymous.headers["Location"]
    login_as("learner")
    assert getattr(client, method)(url).status_code in (403, 400)
    if method == "get":
        assert getattr(client, method)(url).status_code == 403


def test_every_format_round_trips_through_the_pages(client, db, login_as, csrf, symposium_bank):
    """Export the bank in each readable format, import the file into a new bank through the pages
    (JSON first, which brings the study text), and get back what the format carries."""
    login_as("instructor")
    before = bank_record(symposium_bank)
    json_file = client.get("/teach/banks/harbin-symposium-2023/export/json").data
    page = upload(client, csrf, json_file, "bank.json", slug="copy").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    copy = db.session.scalar(select(Bank).where(Bank.slug == "copy"))
    after = bank_record(copy)
    assert after.items == before.items and after.title == before.title
    for fmt in FORMATS.values():
        if fmt.read is None:
            continue
        data = client.get(f"/teach/banks/harbin-symposium-2023/export/{fmt.name}").data
        page = upload(client, csrf, data, f"bank{fmt.extension}", bank="copy").get_data(as_text=True)
        assert 'id="confirm-form"' in page, (fmt.name, page[-2000:])
        assert re.search(r"\d+ new, 0 changed, \d+ unchanged", page), (fmt.name, page[-3000:])
        assert " 0 new," in page, fmt.name
        assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
        # fields a format does not carry (GIFT and Aiken: passages, status, origin) are kept
        assert bank_record(copy).items == before.items, fmt.name


def test_anki_download_opens_in_anki(client, db, login_as, symposium_bank, tmp_path):
    """The export page's Anki package is a real .apkg: Anki's own library imports one note per item."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    login_as("instructor")
    got = client.get("/teach/banks/harbin-symposium-2023/export/apkg")
    assert got.status_code == 200
    assert got.headers["Content-Disposition"] == 'attachment; filename="harbin-symposium-2023.apkg"'
    path = tmp_path / "bank.apkg"
    path.write_bytes(got.data)
    col = Collection(str(tmp_path / "c.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions()))
        assert col.note_count() == 44
        cloze = [q for q in symposium_bank.items if q.kind == "cloze"]
        assert len(col.find_notes('"note:studyapp cloze"')) == len(cloze)
        assert col.decks.by_name("Northeast China revitalization: the 2023 Harbin symposium") is not None
    finally:
        col.close()


def test_cli_refuses_to_import_an_anki_package(app, db, tmp_path):
    path = tmp_path / "deck.apkg"
    path.write_bytes(b"PK\x03\x04")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--bank", "deck"])
    assert result.exit_code == 1 and "Anki package files can be exported, not imported" in result.output


def test_left_out_lists_what_each_writer_leaves_out(db):
    """The export page's cheap list of items left out equals what each writer really leaves out,
    for a bank with every kind, a two-gap cloze, drafts and retired items."""
    from studyapp.interchange.bankfile import read_bank_file
    from studyapp.interchange.formats import left_out
    from tests.conftest import SYMPOSIUM_BANK

    record = read_bank_file(SYMPOSIUM_BANK)
    from studyapp.interchange.records import ItemRecord

    record.items[0].status, record.items[1].status = "draft", "retired"
    record.items.append(ItemRecord("two-gaps", "cloze", "___ is the capital of ___.", "E.",
                                   answers=[["Harbin"], ["Heilongjiang"]]))
    for fmt in FORMATS.values():
        _data, skipped = fmt.write(record)
        assert left_out(fmt, record) == skipped, fmt.name
    assert left_out(FORMATS["gift"], record)[:2] == [record.items[0].ext_id, record.items[1].ext_id]
    assert left_out(FORMATS["json"], record) == []
    assert "two-gaps" in left_out(FORMATS["gift"], record) and "two-gaps" in left_out(FORMATS["xml"], record)
    assert "two-gaps" not in left_out(FORMATS["apkg"], record)


# --- what a new user's test found ----------------------------------------------------------------

def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_untitled_questions_of_two_files_do_not_replace_each_other(app, db, tmp_path):
    (tmp_path / "a.gift").write_text("What is 2+2? {=4 ~5}\n", encoding="utf-8")
    (tmp_path / "b.gift").write_text("What colour is the sky? {=blue ~green}\n", encoding="utf-8")
    (tmp_path / "a.xml").write_text('<quiz><question type="truefalse"><name><text>Question 1</text></name>'
                                    '<questiontext><text>Ice is cold.</text></questiontext>'
                                    '<answer fraction="100"><text>true</text></answer>'
                                    '<answer fraction="0"><text>false</text></answer></question></quiz>')
    (tmp_path / "b.xml").write_text((tmp_path / "a.xml").read_text().replace("Ice is cold.", "Fire is cold."))
    for name in ("a.gift", "b.gift", "a.xml", "b.xml"):
        result = run_cli(app, "import", str(tmp_path / name), "--bank", "untitled")
        assert result.exit_code == 0 and "1 created, 0 updated" in result.output, (name, result.output)
    stems = sorted(db.session.scalars(select(Question.stem)))
    assert stems == ["Fire is cold.", "Ice is cold.", "What colour is the sky?", "What is 2+2?"]


@pytest.mark.parametrize("name, data, words", [
    ("dup.gift", b"::zz::Q1 {=a ~b}\n\n::zz::Q3 {=e ~f}\n", "dup.gift:3: the title ::zz:: is used twice"),
    ("dup.xml", b'<quiz><question type="truefalse"><idnumber>x1</idnumber><questiontext><text>A</text>'
                b'</questiontext><answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false'
                b'</text></answer></question><question type="truefalse"><idnumber>x1</idnumber><questiontext>'
                b'<text>B</text></questiontext><answer fraction="100"><text>true</text></answer><answer fraction="0">'
                b'<text>false</text></answer></question></quiz>', "&lt;idnumber&gt;x1&lt;/idnumber&gt; is used twice"),
    ("nul.gift", b"::n1::Q with NUL \x00 inside {=a ~b}\n", "nul.gift:1: the file holds a NUL character"),
    ("nul.csv", b"id,kind,stem,options,keys\nq1,single_choice,A\x00B,x | y,1\n", "nul.csv:2: the file holds a NUL"),
    ("nul.json", b'{"format": "studyapp-bank/1", "slug": "ab", "title": "T", "items": [{"id": "a", "kind": '
                 b'"true_false", "stem": "S\\u0000", "key": true}]}', "item a: a NUL character"),
    ("same.gift", b"::e12::Same option twice {=a ~a}\n", "same.gift:1: item e12: two options have the same text"),
    ("empty.gift", b"   \n\n", "no questions found: is it really a Moodle GIFT file?"),
    ("quiz.xml", b"<quiz></quiz>", "no questions found: is it really a Moodle XML file?"),
    ("essay.gift", b"::e::Write about Harbin. {}\n", "none of the file&#39;s 1 question(s) is of a kind studyapp"),
    ("two.json", b'{"format": "studyapp-bank/1", "slug": "ab", "title": "T", "items": [{"id": "a", "kind": '
                 b'"true_false", "stem": "S"}, {"id": "b", "kind": "cloze", "stem": "No gap", "gaps": [["x"]]}]}',
     "item a: a true_false item needs &#39;key&#39;; line 1: item b: the stem has 0 gap(s)"),
])
def test_bad_files_found_by_the_tester_are_400_and_write_nothing(client, db, login_as, csrf, name, data, words):
    login_as("instructor")
    page = upload(client, csrf, data, name, slug="ne")
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and words in text, text[-2500:]
    assert count(db, Bank) == 0 and count(db, Question) == 0


def test_a_file_cannot_rewrite_the_study_text_another_bank_cites(client, db, login_as, csrf, symposium_bank):
    record = bank_record(symposium_bank)
    record.document.title, record.document.summary = "TAMPERED TITLE", "TAMPERED SUMMARY"
    record.document.passages[0].heading = "TAMPERED HEADING"
    data, _ = FORMATS["json"].write(record)
    login_as("instructor")
    page = upload(client, csrf, data, "evil.json", slug="evil").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    doc = db.session.get(Document, symposium_bank.document_id)
    assert "TAMPERED" not in doc.title
    assert "TAMPERED" not in (doc.summary or "") and "TAMPERED" not in (doc.passages[0].heading or "")
    evil = db.session.scalar(select(Bank).where(Bank.slug == "evil"))
    assert evil.document_id == symposium_bank.document_id and len(evil.items) == 44


def test_new_items_can_come_in_as_drafts(client, db, login_as, csrf, symposium_bank):
    """"New items: drafts" makes the items the bank does not have drafts; the ones it has keep theirs."""
    login_as("instructor")
    gift = "::hs-new-1::A new question? {T####Yes.}\n\n" + FORMATS["gift"].write(bank_record(symposium_bank))[0].decode()
    page = upload(client, csrf, gift.encode(), "more.gift", bank="harbin-symposium-2023", new_status="draft")
    text = page.get_data(as_text=True)
    assert "1 new, 0 changed, 44 unchanged" in text and "New items will be drafts" in text
    assert client.post("/teach/import/confirm", data=confirm_data(text)).status_code == 303
    statuses = dict(db.session.execute(select(Question.ext_id, Question.status)
                                       .where(Question.bank_id == symposium_bank.id)).all())
    assert statuses.pop("hs-new-1") == "draft" and set(statuses.values()) == {"published"}
    tampered = dict(confirm_data(text), new_status="published")
    assert client.post("/teach/import/confirm", data=tampered).status_code == 400


def test_two_imports_of_one_file_at_once_both_succeed(app, db, make_user):
    """A double-clicked Import: the second import waits for the first, then changes nothing (no 409)."""
    import threading

    from studyapp.interchange.store import import_items

    parsed = FORMATS["gift"].read(GIFT.encode(), "n.gift")
    import_items("race", parsed.items[:1], title="Race")  # the bank exists: imports lock it
    outcomes, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            try:
                report = import_items("race", FORMATS["gift"].read(GIFT.encode(), "n.gift").items)
                outcomes.append((len(report.created), len(report.unchanged)))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == [(0, 2), (1, 1)]
    assert count(db, Question) == 2


def test_cli_imports_a_bank_file_that_names_its_source_and_lists_every_problem(app, db, tmp_path):
    from tests.conftest import SYMPOSIUM_BANK

    result = run_cli(app, "import", str(SYMPOSIUM_BANK), "--bank", "copy", "--title", "Copy", "--as-drafts")
    assert result.exit_code == 0 and "44 created" in result.output, result.output
    assert set(db.session.scalars(select(Question.status))) == {"draft"}
    assert db.session.scalar(select(Bank.title).where(Bank.slug == "copy")) == "Copy"
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: studyapp-bank/1\nslug: ab\ntitle: T\nitems:\n  - {id: a, kind: true_false, stem: S}\n"
                   "  - {id: b, kind: true_false, stem: S, key: 3}\n  - {id: c, kind: essay, stem: S}\n")
    out = run_cli(app, "import", str(bad), "--bank", "x1").output
    assert f"{bad}:5: item a: a true_false item needs 'key'; line 6: item b:" in out and "line 7: item c:" in out
    short = run_cli(app, "import", str(bad), "--bank", "x")
    assert short.exit_code == 1 and "use 2 to 64 lower-case letters, digits and '-'" in short.output
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("id,kind,stem,options,keys,passage\nq1,single_choice,A?,x | y,1,3\n")
    cites = run_cli(app, "import", str(csv_file), "--bank", "nodoc")
    assert cites.exit_code == 1 and f"{csv_file}: item q1 cites passage 3, but the bank has no source text" in cites.output


def test_export_content_types_have_one_charset(client, db, login_as, symposium_bank):
    login_as("instructor")
    for name in ("gift", "aiken", "csv", "yaml"):
        got = client.get(f"/teach/banks/harbin-symposium-2023/export/{name}")
        assert got.headers["Content-Type"].count("charset") == 1, name


def test_preview_shows_option_feedback_and_caps_the_table(client, db, login_as, csrf, monkeypatch):
    from studyapp.teach import interchange_views

    monkeypatch.setattr(interchange_views, "PREVIEW_ROWS", 1)
    login_as("instructor")
    text = upload(client, csrf, GIFT.encode(), "ne.gift", slug="ne").get_data(as_text=True)
    assert 'option-feedback">If “Changchun”: Not that one.</div>' in text
    assert "The table shows the first 1 of 2 items; all of them are imported." in text


def test_by_default_new_items_keep_the_status_their_file_gives(client, db, login_as, csrf):
    data = json.dumps({"format": "studyapp-bank/1", "slug": "st", "title": "Statuses", "items": [
        {"id": "d1", "kind": "true_false", "stem": "A draft.", "key": True, "status": "draft"},
        {"id": "p1", "kind": "true_false", "stem": "A published one.", "key": False}]}).encode()
    login_as("instructor")
    page = upload(client, csrf, data, "st.json", slug="st").get_data(as_text=True)
    assert "New items take the status the file gives them" in page
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    assert dict(db.session.execute(select(Question.ext_id, Question.status)).all()) == {"d1": "draft", "p1": "published"}


def test_review_fixes_ids_from_answers_new_bank_race_and_drafts_keep_retired(client, db, login_as, csrf, tmp_path):
    """Two files' "Question 1" with the same text but other answers are two items; a preview for a
    new bank is refused at Import if that bank was created meanwhile; "drafts" leaves retired items
    retired; a JSON file may cite passages of the bank's own study text without carrying it."""
    login_as("instructor")
    x = b"::Question 1::In which year was it held? {=2023 ~2022 ~2021}\n"
    y = b"::Question 1::In which year was it held? {=1990 ~1991 ~1992}\n"
    page = upload(client, csrf, x, "x.gift", slug="ids").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    second = upload(client, csrf, y, "y.gift", bank="ids").get_data(as_text=True)
    assert "1 new, 0 changed, 0 unchanged" in second

    a = upload(client, csrf, b"::q1::Version A? {=A ~B}\n", "a.gift", slug="race").get_data(as_text=True)
    b = upload(client, csrf, b"::q1::Version B? {=C ~D}\n", "b.gift", slug="race").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(b)).status_code == 303
    late = client.post("/teach/import/confirm", data=confirm_data(a))
    assert late.status_code == 409 and "was created after your preview" in late.get_data(as_text=True)
    assert db.session.scalar(select(Question.stem).where(Question.ext_id == "q1")) == "Version B?"

    csv_data = b"id,kind,stem,options,keys,status\nn-1,true_false,One.,,true,published\nn-2,true_false,Two.,,false,retired\n"
    page = upload(client, csrf, csv_data, "d.csv", slug="drafty", new_status="draft").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    assert dict(db.session.execute(select(Question.ext_id, Question.status).where(Question.ext_id.like("n-%"))).all()) \
        == {"n-1": "draft", "n-2": "retired"}


def test_json_items_may_cite_the_banks_own_passages(client, db, login_as, csrf, symposium_bank):
    data = json.dumps({"format": "studyapp-bank/1", "slug": "pp", "title": "P", "items": [
        {"id": "px-1", "kind": "true_false", "stem": "Cites three.", "key": True, "passage": 3},
        {"id": "px-2", "kind": "true_false", "stem": "Cites 99.", "key": True, "passage": 99}]}).encode()
    login_as("instructor")
    page = upload(client, csrf, data, "p.json", bank="harbin-symposium-2023")
    assert page.status_code == 409 and "item px-2 cites passage 99, but the bank&#39;s source text has 16" in \
        page.get_data(as_text=True)
    ok = upload(client, csrf, data.replace(b"99", b"4"), "p.json", bank="harbin-symposium-2023").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(ok)).status_code == 303
    assert db.session.scalar(select(Question).where(Question.ext_id == "px-1")).passage.number == 3


def test_a_tab_in_a_stem_survives_a_moodle_xml_round_trip(client, db, login_as, csrf, symposium_bank):
    """An item whose stem holds a tab (and a run of spaces) is exported as Moodle XML and imported
    into a new bank through the pages: its stem comes back with the tab and the spaces."""
    item = db.session.scalar(select(Question).where(Question.bank_id == symposium_bank.id,
                                                    Question.kind == "single_choice").order_by(Question.id))
    item.stem = "Session\tRoom  A: " + item.stem
    db.session.commit()
    ext_id, stem = item.ext_id, item.stem
    login_as("instructor")
    data = client.get("/teach/banks/harbin-symposium-2023/export/xml").data
    page = upload(client, csrf, data, "bank.xml", slug="tabbed").get_data(as_text=True)
    assert client.post("/teach/import/confirm", data=confirm_data(page)).status_code == 303
    copy = db.session.scalar(select(Bank).where(Bank.slug == "tabbed"))
    assert db.session.scalar(select(Question.stem).where(Question.bank_id == copy.id,
                                                         Question.ext_id == ext_id)) == stem

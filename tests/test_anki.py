"""Anki export (``studyapp.interchange.anki``): packages written with genanki, opened and
imported with Anki's own library (``anki``), no Flask, no database."""
from __future__ import annotations

import ast
import copy
import html
import io
import sqlite3
import time
import zipfile
from pathlib import Path

import anki.lang
import genanki
import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition
from anki.utils import strip_html

from studyapp.interchange import anki as anki_export
from studyapp.interchange.anki import (
    BASIC_MODEL_ID, CLOZE_MODEL_ID, FIXED_TIMESTAMP, Deck, deck_id_for, stable_id, write_apkg,
)
from studyapp.interchange.bankfile import read_bank_file
from studyapp.interchange.records import GAP, ItemRecord, OptionRecord

BANK = Path(__file__).parent.parent / "questions/banks/harbin-symposium-2023.yaml"
LATER = FIXED_TIMESTAMP + 86_400
ALWAYS = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS


@pytest.fixture(scope="module")
def bank():
    return read_bank_file(BANK)


@pytest.fixture(scope="module")
def deck(bank) -> Deck:
    return Deck(slug=bank.slug, title=bank.title, source_title=bank.document.title,
                passages={p.number: p.text for p in bank.document.passages})


@pytest.fixture(scope="module")
def package(bank, deck) -> bytes:
    data, skipped = write_apkg(bank.items, deck, timestamp=FIXED_TIMESTAMP)
    assert skipped == []
    return data


@pytest.fixture
def col(tmp_path):
    collection = Collection(str(tmp_path / "c.anki2"))
    yield collection
    collection.close()


def import_apkg(col: Collection, data: bytes, **options):
    """Import ``data`` as a package file into ``col``; return the import log."""
    path = Path(col.path).parent / f"import-{time.monotonic_ns()}.apkg"
    path.write_bytes(data)
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions(**options))
    return col.import_anki_package(request).log


def note_for(col: Collection, slug: str, ext_id: str):
    note_id = col.db.scalar("select id from notes where guid = ?", genanki.guid_for(slug, ext_id))
    assert note_id, ext_id
    return col.get_note(note_id)


def counts(log) -> tuple[int, int, int, int]:
    return len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)


def plain(text: str) -> str:
    if anki.lang.current_i18n is None:
        anki.lang.set_lang("en")
    return strip_html(text)


# --- ids and bytes ----------------------------------------------------------------------

def test_model_and_deck_ids_are_fixed_and_in_genanki_range():
    assert BASIC_MODEL_ID == stable_id("studyapp basic model") == 1649888532
    assert CLOZE_MODEL_ID == stable_id("studyapp cloze model") == 1637385923
    assert deck_id_for("harbin-symposium-2023") == stable_id("studyapp deck harbin-symposium-2023")
    assert deck_id_for("harbin-symposium-2023") != deck_id_for("other-bank")
    for value in (BASIC_MODEL_ID, CLOZE_MODEL_ID, deck_id_for("harbin-symposium-2023"), deck_id_for("x")):
        assert 1 << 30 <= value < 1 << 31


def test_same_items_and_timestamp_give_the_same_bytes(bank, deck, package):
    again, _ = write_apkg(copy.deepcopy(bank.items), deck, timestamp=FIXED_TIMESTAMP)
    assert again == package
    later, _ = write_apkg(bank.items, deck, timestamp=LATER)
    assert later != package
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        assert [i.filename for i in z.infolist()] == ["collection.anki2", "media"]
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.read("media") == b"{}"


def test_default_timestamp_is_the_time_of_the_export(tmp_path, deck):
    item = ItemRecord("t1", "true_false", "Harbin is in Heilongjiang.", "Yes.",
                      [OptionRecord("True", True), OptionRecord("False", False)])
    before = int(time.time())
    data, _ = write_apkg([item], deck)
    after = int(time.time())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        (tmp_path / "collection.anki2").write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        (mod,) = db.execute("select mod from notes").fetchone()
    assert before <= mod <= after


# --- the shipped bank, opened with Anki -------------------------------------------------

def test_shipped_bank_imports_as_one_note_per_item(col, bank, deck, package):
    log = import_apkg(col, package)
    assert counts(log) == (len(bank.items), 0, 0, 0)
    assert col.note_count() == len(bank.items) == 44
    gaps = sum(len(GAP.findall(i.stem)) for i in bank.items if i.kind == "cloze")
    assert col.card_count() == len(bank.items) - 10 + gaps
    names = sorted(d.name for d in col.decks.all_names_and_ids())
    assert names == ["Default", "Northeast China revitalization: the 2023 Harbin symposium"]
    deck_id = col.decks.id_for_name(bank.title)
    assert sorted(col.db.list("select guid from notes")) == sorted(
        genanki.guid_for(bank.slug, i.ext_id) for i in bank.items)
    assert set(col.db.list("select did from cards")) == {deck_id}
    assert sorted(col.tags.all()) == sorted(["harbin-symposium-2023", "cloze", "single_choice",
                                             "multiple_response", "true_false", "short_answer"])
    for item in bank.items:
        note = note_for(col, bank.slug, item.ext_id)
        assert sorted(note.tags) == sorted([bank.slug, item.kind])
        passage = f"Passage {item.passage}: {deck.passages[item.passage]}"
        if item.kind == "cloze":
            assert note.note_type()["name"] == "studyapp cloze"
            assert note.note_type()["id"] == CLOZE_MODEL_ID
            text = html.escape(item.stem, quote=False)
            for answers in item.answers:
                text = GAP.sub(f"{{{{c1::{html.escape(answers[0], quote=False)}}}}}", text, count=1)
            assert note["Text"] == text
            assert f"{{{{c1::{item.answers[0][0]}}}}}" in note["Text"]
            assert len(note.cards()) == len(GAP.findall(item.stem)) == 1
            assert note["Also accepted"] == html.escape("; ".join(item.answers[0][1:]), quote=False)
        else:
            assert note.note_type()["name"] == "studyapp basic"
            assert note.note_type()["id"] == BASIC_MODEL_ID
            assert note["Question"].startswith(html.escape(item.stem, quote=False))
            assert len(note.cards()) == 1
            answer = note.cards()[0].answer()
            for key in (note["Answer"], note["Explanation"], note["Passage"]):
                assert key and key in answer
        assert note["Explanation"] == html.escape(item.explanation, quote=False)
        assert note["Passage"] == html.escape(passage, quote=False)
        assert note["Source"] == "Revitalizing Northeast China: the Harbin symposium of September 2023"


def test_basic_notes_front_and_back(col, bank, package):
    import_apkg(col, package)
    note = note_for(col, bank.slug, "gen-3b06ee5c9271")  # single choice, key B
    assert note.fields == [
        "In which city did Chinese President Xi Jinping chair the symposium?"
        '<div class="options">A. Tianjin<br>B. Harbin<br>C. Shenyang<br>D. Anshan</div>',
        "B. Harbin",
        'Passage 1 says: "On 7 September 2023, Chinese President Xi Jinping chaired a symposium in Harbin, '
        'the capital of Heilongjiang Province." The symposium was held in Harbin.',
        "Passage 1: On 7 September 2023, Chinese President Xi Jinping chaired a symposium in Harbin, the capital "
        "of Heilongjiang Province. The meeting was convened so that participants could discuss how to push "
        "forward the all-round (comprehensive) revitalization of Northeast China in the new era.",
        "Revitalizing Northeast China: the Harbin symposium of September 2023",
    ]
    card = note.cards()[0]
    front, back = card.question(), card.answer()
    assert front.endswith('<div class="question">' + note["Question"] + "</div>")
    assert 'class="key"' not in front and "Passage 1:" not in front and "Source:" not in front
    assert '<hr id="answer"><div class="key">B. Harbin</div>' in back
    assert '<div class="passage">Passage 1: On 7 September 2023' in back
    assert '<div class="source">Source: Revitalizing Northeast China' in back

    true_false = note_for(col, bank.slug, "gen-a0c174c0ce5a")
    assert true_false["Question"] == ("According to the text, Chinese President Xi Jinping chaired the symposium "
                                      'in Qiqihar.<div class="options">True or false?</div>')
    assert true_false["Answer"] == "False"

    short = note_for(col, bank.slug, "hs23-002")
    assert short["Question"] == "Who chaired the symposium?"
    assert short["Answer"] == "Xi Jinping<br>Also accepted: Xi; President Xi; President Xi Jinping"

    multiple = next(i for i in bank.items if i.kind == "multiple_response")
    note = note_for(col, bank.slug, multiple.ext_id)
    letters = "ABCDEFGH"
    assert note["Answer"] == "<br>".join(html.escape(f"{letters[n]}. {o.text}", quote=False)
                                         for n, o in enumerate(multiple.options) if o.is_key)
    assert note["Question"].endswith("<br>(Choose all that apply.)</div>")


def test_cloze_note_front_hides_the_answer(col, bank, package):
    import_apkg(col, package)
    note = note_for(col, bank.slug, "gen-28d7b2a86ef3")
    assert note["Text"] == ("The meeting was convened so that participants could discuss how to push forward the "
                            "{{c1::comprehensive revitalization}} of Northeast China in the new era.")
    assert note["Also accepted"] == "all-round revitalization; all-round (comprehensive) revitalization"
    (card,) = note.cards()
    assert "comprehensive revitalization" not in card.question()
    assert "[...]" in card.question()
    back = card.answer()
    assert '<span class="cloze" data-ordinal="1">comprehensive revitalization</span>' in back
    assert ('<div class="accepted">Also accepted: all-round revitalization; '
            "all-round (comprehensive) revitalization</div>") in back


# --- re-import: updates, never copies ---------------------------------------------------

def test_importing_the_same_package_twice_changes_nothing(col, bank, package):
    import_apkg(col, package)
    log = import_apkg(col, package)
    assert counts(log) == (0, 0, len(bank.items), 0)
    assert col.note_count() == len(bank.items)
    assert col.card_count() == len(bank.items)


def test_a_later_export_updates_notes_with_default_options(col, bank, deck, package):
    import_apkg(col, package)
    first = note_for(col, bank.slug, "gen-3b06ee5c9271")
    card = first.cards()[0]
    card.type, card.queue, card.ivl, card.due = 2, 2, 12, 30  # as if reviewed: a review card due in 30 days
    col.update_card(card)

    items = copy.deepcopy(bank.items)
    items[0].explanation = "Harbin & not <Tianjin>: the new explanation."
    edited, _ = write_apkg(items, deck, timestamp=LATER)
    log = import_apkg(col, edited)  # default options: update notes and note types "if newer"

    assert counts(log) == (0, len(bank.items), 0, 0)
    assert col.note_count() == len(bank.items)
    assert col.card_count() == len(bank.items)
    note = note_for(col, bank.slug, "gen-3b06ee5c9271")
    assert note.id == first.id
    assert note["Explanation"] == "Harbin &amp; not &lt;Tianjin&gt;: the new explanation."
    assert plain(note["Explanation"]) == "Harbin & not <Tianjin>: the new explanation."
    assert note.mod == int(LATER)
    card.load()
    assert (card.type, card.queue, card.ivl, card.due) == (2, 2, 12, 30)  # review state kept


def test_an_export_with_the_same_timestamp_never_updates(col, bank, deck, package):
    """Anki compares modification times: equal times are "unchanged" even with "Update notes: Always"."""
    import_apkg(col, package)
    items = copy.deepcopy(bank.items)
    items[0].explanation = "Changed."
    edited, _ = write_apkg(items, deck, timestamp=FIXED_TIMESTAMP)
    log = import_apkg(col, edited, update_notes=ALWAYS)
    assert counts(log) == (0, 0, len(bank.items), 0)
    assert note_for(col, bank.slug, "gen-3b06ee5c9271")["Explanation"].startswith("Passage 1 says:")


def test_a_later_export_updates_the_note_types(col, bank, deck, package, monkeypatch):
    import_apkg(col, package)
    monkeypatch.setattr(anki_export, "CSS", ".card { font-size: 30px; }\n")
    later, _ = write_apkg(bank.items, deck, timestamp=LATER)
    import_apkg(col, later)
    assert col.models.get(BASIC_MODEL_ID)["css"] == ".card { font-size: 30px; }\n"
    assert col.models.get(CLOZE_MODEL_ID)["css"] == ".card { font-size: 30px; }\n"
    assert sorted(m.name for m in col.models.all_names_and_ids()) == sorted(
        ["Basic", "Basic (and reversed card)", "Basic (optional reversed card)", "Basic (type in the answer)",
         "Cloze", "Image Occlusion", "studyapp basic", "studyapp cloze"])


def test_two_banks_with_the_same_timestamp_share_a_collection(col, package, bank):
    other = Deck(slug="other-bank", title="Other bank")
    items = [ItemRecord(f"o{n}", "true_false", f"Statement {n}.", "", [OptionRecord("True", n % 2 == 0),
                                                                   OptionRecord("False", n % 2 == 1)])
             for n in range(3)] + [ItemRecord("gen-3b06ee5c9271", "short_answer", "Same ext_id, other bank?",
                                              answers=[["yes"]])]
    data, skipped = write_apkg(items, other, timestamp=FIXED_TIMESTAMP)  # same note and card ids as `package`
    assert skipped == []
    import_apkg(col, package)
    log = import_apkg(col, data)
    assert counts(log) == (4, 0, 0, 0)
    assert col.note_count() == len(bank.items) + 4
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == [
        "Default", "Northeast China revitalization: the 2023 Harbin symposium", "Other bank"]
    assert note_for(col, "other-bank", "gen-3b06ee5c9271")["Answer"] == "yes"
    assert note_for(col, bank.slug, "gen-3b06ee5c9271")["Answer"] == "B. Harbin"


# --- text that needs escaping, several gaps, items that cannot be exported --------------

SPECIAL_DECK = Deck(slug="special", title="Specials: 哈尔滨 & <co>", source_title="“Quoted” source & more 🙂",
                    passages={1: "哈尔滨 is “Harbin” <b>not bold</b> & 🧊", 2: ""})
SPECIAL = [
    ItemRecord("sc-1", "single_choice", "Which city is 哈尔滨 — “Harbin” or ‘Shenyang’? 1 < 2 & 3 > 2",
               "It’s Harbin 🙂 (<i>not</i> italic)", [OptionRecord("Harbin 🧊", True),
                                                     OptionRecord("<Shenyang> & co", False)], passage=1),
    ItemRecord("cl-2", "cloze", "First ___ then {{c9::literal}} and ___.\nSecond line with a:b",
               "Two gaps.", answers=[["a < b & c", "alt 1", "alt 2"], ["x::y {z}"]], passage=2),
    ItemRecord("sa-3", "short_answer", "Name the city (哈尔滨).", answers=[["Harbin"]], passage=3),
    ItemRecord("bad-cloze", "cloze", "No gap here.", answers=[["x"]]),
    ItemRecord("bad-key", "single_choice", "No key?", options=[OptionRecord("a"), OptionRecord("b")]),
    ItemRecord("bad-kind", "matching", "Match these."),
    ItemRecord("bad-short", "short_answer", "Nothing accepted.", answers=[["  "]]),
    ItemRecord("bad-gaps", "cloze", "Two ___ gaps ___ but one answer.", answers=[["x"]]),
    ItemRecord("sc-1", "true_false", "Same id twice.", options=[OptionRecord("True", True),
                                                                OptionRecord("False")]),
    ItemRecord("bad-stem", "true_false", "   ", options=[OptionRecord("True", True), OptionRecord("False")]),
]


def test_items_that_cannot_be_exported_are_listed(col):
    data, skipped = write_apkg(SPECIAL, SPECIAL_DECK, timestamp=FIXED_TIMESTAMP)
    assert skipped == ["bad-cloze", "bad-key", "bad-kind", "bad-short", "bad-gaps", "sc-1", "bad-stem"]
    import_apkg(col, data)
    assert sorted(col.db.list("select guid from notes")) == sorted(
        genanki.guid_for("special", ext_id) for ext_id in ("sc-1", "cl-2", "sa-3"))
    assert note_for(col, "special", "sc-1")["Answer"] == "A. Harbin 🧊"  # the first sc-1 is the one exported


def test_unicode_and_markup_characters_survive(col):
    data, _ = write_apkg(SPECIAL, SPECIAL_DECK, timestamp=FIXED_TIMESTAMP)
    import_apkg(col, data)
    assert col.decks.id_for_name("Specials: 哈尔滨 & <co>")

    choice = note_for(col, "special", "sc-1")
    assert choice.fields == [
        "Which city is 哈尔滨 — “Harbin” or ‘Shenyang’? 1 &lt; 2 &amp; 3 &gt; 2"
        '<div class="options">A. Harbin 🧊<br>B. &lt;Shenyang&gt; &amp; co</div>',
        "A. Harbin 🧊",
        "It’s Harbin 🙂 (&lt;i&gt;not&lt;/i&gt; italic)",
        "Passage 1: 哈尔滨 is “Harbin” &lt;b&gt;not bold&lt;/b&gt; &amp; 🧊",
        "“Quoted” source &amp; more 🙂",
    ]
    assert plain(choice["Explanation"]) == "It’s Harbin 🙂 (<i>not</i> italic)"
    assert plain(choice["Passage"]) == "Passage 1: 哈尔滨 is “Harbin” <b>not bold</b> & 🧊"
    assert plain(choice["Source"]) == "“Quoted” source & more 🙂"
    assert plain(choice["Answer"]) == "A. Harbin 🧊"

    cloze = note_for(col, "special", "cl-2")
    assert cloze["Text"] == ("First {{c1::a &lt; b &amp; c}} then &#123;&#123;c9::literal&#125;&#125; and "
                             "{{c2::x&#58;&#58;y &#123;z&#125;}}.<br>Second line with a:b")
    assert cloze["Also accepted"] == "Gap 1: alt 1; alt 2"
    assert cloze["Passage"] == "Passage 2"  # the deck has no text for passage 2
    cards = sorted(cloze.cards(), key=lambda c: c.ord)
    assert [c.ord for c in cards] == [0, 1]  # one card per gap, none for the literal {{c9::...}}
    first, second = cards
    assert "a &lt; b &amp; c" not in first.question() and "[...]" in first.question()
    assert "x&#58;&#58;y &#123;z&#125;" in first.question()  # the other gap is shown on card 1
    assert plain(first.answer()).count("a < b & c") == 1
    assert "{{c9::literal}}" in plain(second.question())
    assert "x::y {z}" in plain(second.answer())

    short = note_for(col, "special", "sa-3")
    assert short.fields == ["Name the city (哈尔滨).", "Harbin", "", "Passage 3", "“Quoted” source &amp; more 🙂"]


def test_deck_problems_raise_value_error():
    item = SPECIAL[0]
    with pytest.raises(ValueError, match="cannot be an Anki tag"):
        write_apkg([item], Deck(slug="two words", title="T"))
    with pytest.raises(ValueError, match="cannot be an Anki tag"):
        write_apkg([item], Deck(slug="", title="T"))
    with pytest.raises(ValueError, match="needs a title"):
        write_apkg([item], Deck(slug="s", title="  "))


def test_module_needs_neither_flask_nor_the_database():
    tree = ast.parse(Path(anki_export.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "hashlib", "html", "io", "re", "tempfile", "time", "zipfile",
                        "dataclasses", "pathlib", "genanki", "records"}


def test_deck_name_with_double_colon_stays_one_deck(col):
    data, _ = write_apkg(SPECIAL[:1], Deck(slug="s", title="Part::One"), timestamp=FIXED_TIMESTAMP)
    import_apkg(col, data)
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == ["Default", "Part:One"]

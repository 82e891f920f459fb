"""Reading and writing Moodle XML (https://docs.moodle.org/en/Moodle_XML_format); no Flask, no database."""
from decimal import Decimal
import re
from pathlib import Path

import pytest

from studyapp.interchange.bankfile import read_bank_file
from studyapp.interchange.errors import InterchangeError
from studyapp.interchange.moodlexml import parse_moodle_xml, read_moodle_xml, write_moodle_xml
from studyapp.interchange.records import ItemRecord, OptionRecord

DATA = Path(__file__).parent / "data" / "moodlexml"
BANK = Path(__file__).parent.parent / "questions" / "banks" / "harbin-symposium-2023.yaml"
# everything Moodle XML carries (passage and origin are not carried)
FIELDS = ("ext_id", "kind", "stem", "explanation", "options", "answers", "status")


def _same(a: ItemRecord, b: ItemRecord) -> None:
    for name in FIELDS:
        assert getattr(a, name) == getattr(b, name), (a.ext_id, name)


@pytest.fixture(scope="module")
def features():
    return parse_moodle_xml((DATA / "features.xml").read_bytes(), "features.xml")


def _by_id(result):
    """Items by idnumber, else by the slug of their name (``-2`` for a repeat), else by ext_id."""
    from studyapp.interchange.gift import _slug

    out = {}
    for i in result.items:
        key = i.ext_id if not i.ext_id.startswith("xml-") else (_slug(result.names[i.ext_id]) or i.ext_id)
        key = key if key not in out else f"{key}-2"
        out[key] = i
    return out


# --- reading ------------------------------------------------------------------------

def test_features_ids_names_categories_lines(features):
    """ext_ids come from a valid idnumber, else xml-<hash of type, name and text>: names are not ids
    (Moodle names questions "Question 1" in every file), and an idnumber that is no id is noted."""
    ids = [i.ext_id for i in features.items]
    assert ids[0] == "nc-capital" and ids[3] == "river-through-harbin"
    assert all(re.fullmatch(r"xml-[0-9a-f]{12}", i) for i in ids[1:3] + ids[4:]) and len(set(ids)) == len(ids)
    names = [features.names[i] for i in ids]
    assert names == ["Provincial capital", "Rivers of Heilongjiang", "Harbin ice festival", "River through Harbin",
                     "Capital gap", "Harbin ice festival", "哈尔滨"]
    assert (40, f"<idnumber>NC Rivers</idnumber> cannot be an id (lower-case letters, digits, '.', '_', '-'): "
                f"the item's id is {ids[1]}") in features.notes
    assert features.categories["nc-capital"] == "$course$/top/Northeast"
    assert set(features.categories[i] for i in ids[1:]) == {"$course$/top/Northeast/Rivers"}
    assert [features.lines[i] for i in ids] == [9, 40, 60, 75, 89, 101, 120]
    assert all(i.origin == "imported" and i.passage is None for i in features.items)
    # the same bytes give the same ids
    assert [i.ext_id for i in read_moodle_xml((DATA / "features.xml").read_bytes())[0]] == ids


def test_single_choice_html_feedback_and_entities(features):
    item = _by_id(features)["nc-capital"]
    assert item.kind == "single_choice"
    assert item.stem == "Which city is the capital of Heilongjiang & its largest city?"
    assert item.explanation == "Harbin (哈尔滨) is the capital of 黑龙江."
    assert item.options == [
        OptionRecord("Harbin", True, "Yes – the “ice city”."),
        OptionRecord("Changchun", False, "Changchun is the capital of Jilin."),
        OptionRecord("Shenyang", False, ""),
    ]
    assert item.status == "published"


def test_multiple_response_negative_fractions_and_plain_text(features):
    """Positive fractions are keys, negative ones distractors; plain_text keeps '<...>' as written."""
    item = _by_id(features)["rivers-of-heilongjiang"]
    assert item.kind == "multiple_response"
    assert item.stem == "Which rivers flow through Heilongjiang? <Select two>"
    assert item.explanation == "The Songhua and the Nen."
    assert item.options == [
        OptionRecord("Songhua & tributaries", True),  # escaped HTML (no CDATA), decoded twice
        OptionRecord("Nen", True),
        OptionRecord("Yangtze", False, "The Yangtze is far to the south."),
        OptionRecord("Pearl", False),
    ]


def test_true_false_hidden_feedback_and_char_reference(features):
    items = _by_id(features)
    item = items["harbin-ice-festival"]
    assert item.kind == "true_false" and item.status == "draft"  # <hidden>1</hidden>
    assert item.stem == "Harbin lies south of Beijing."
    assert item.explanation == "It lies far to the north 🎓."  # &#127891;
    assert item.options == [OptionRecord("True", False, "No, north."), OptionRecord("False", True, "Right 🎓")]
    md = items["harbin-ice-festival-2"]
    assert md.stem == "Is **Harbin** north of Beijing?"  # markdown kept as written
    assert md.options == [OptionRecord("True", True), OptionRecord("False", False)]
    assert md.status == "published"


def test_short_answer_partial_credit_is_noted_not_kept(features):
    item = _by_id(features)["river-through-harbin"]
    assert item.kind == "short_answer"
    assert item.stem == "Name the river that flows through “Harbin”."
    assert item.answers == [["Songhua", "松花江"]]
    assert item.explanation == ""
    last = features.items[-1].ext_id
    assert features.notes == [
        (40, f"<idnumber>NC Rivers</idnumber> cannot be an id (lower-case letters, digits, '.', '_', '-'): "
             f"the item's id is {features.items[1].ext_id}"),
        (81, "river-through-harbin: answer 'Sungari basin' (50%) not kept (only 100% answers are)"),
        (103, "/quiz/question[10]/questiontext: Markdown is kept as written (studyapp shows it as plain text)"),
        (125, f"{last}: partial-credit answer 'Qiqihar' (50%) read as a wrong answer"),
    ]


def test_short_answer_with_one_gap_is_a_cloze(features):
    item = _by_id(features)["capital-gap"]
    assert item.kind == "cloze"
    assert item.stem == "The capital of 黑龙江 is ____."
    assert item.answers == [["Harbin", "哈尔滨"]]
    assert item.explanation == "哈尔滨 (Harbin)."


def test_single_choice_partial_credit_is_a_distractor(features):
    item = _by_id(features)[features.items[-1].ext_id]
    assert item.stem == "Which city hosts the famous ice festival? 🎓"
    assert item.options == [OptionRecord("Harbin", True), OptionRecord("Qiqihar"), OptionRecord("Daqing")]


def test_unsupported_types_are_listed(features):
    assert features.unsupported == [
        "question 7 (/quiz/question[7], line 83): matching 'Capitals'",
        "question 9 (/quiz/question[9], line 96): numerical 'Year'",
        "question 11 (/quiz/question[11], line 108): essay 'Winter'",
        "question 12 (/quiz/question[12], line 112): description 'Intro'",
        "question 13 (/quiz/question[13], line 116): cloze (Moodle's embedded answers) 'Embedded answers'",
    ]
    items, not_supported = read_moodle_xml((DATA / "features.xml").read_bytes(), "features.xml")
    assert len(items) == 7 and not_supported == features.unsupported


def test_items_without_general_feedback_are_reported_and_kept(features):
    """As with GIFT: an item that breaks the bank-file rules is returned, and reported."""
    assert features.problems == [
        (75, "river-through-harbin", "explanation: give an explanation (why the key is right)")]


# --- malformed files ----------------------------------------------------------------

DTD = "the file declares a DTD or entities (<!DOCTYPE ...>, <!ENTITY ...>), which are not allowed"


@pytest.mark.parametrize("name, line, reason", [
    ("not-well-formed.xml", 4, "not well-formed XML: mismatched tag (column 32)"),
    ("entity-bomb.xml", 2, DTD),
    ("xxe.xml", 2, DTD),
    ("no-key.xml", 10, "/quiz/question[2]: question 'Largest city' is a single-answer multichoice: "
                       "it needs exactly one answer with fraction 100, not 0"),
    ("bad-fraction.xml", 11, '/quiz/question[2]/answer[2]: fraction "abc" is not a number'),
    ("wrong-root.xml", 2, "/questions: the root element must be <quiz>, not <questions>"),
])
def test_malformed_files(name, line, reason):
    """Each file raises with its line and reason, and nothing is returned."""
    result = None
    with pytest.raises(InterchangeError) as err:
        result = read_moodle_xml((DATA / name).read_bytes(), name)
    assert result is None
    assert (err.value.source, err.value.line, err.value.reason) == (name, line, reason)
    assert str(err.value) == f"{name}:{line}: {reason}"


def _quiz(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + body + "\n</quiz>\n").encode("utf-8")


TF = ('<question type="truefalse"><name><text>T</text></name>'
      '<questiontext><text>Q?</text></questiontext>{}</question>')


@pytest.mark.parametrize("data, line, reason", [
    (b'<?xml version="1.0"?>\n<quiz>\xff</quiz>', 2, "the file is not UTF-8 text (byte 28)"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz/>', 1,
     "the file declares encoding 'ISO-8859-1'; only UTF-8 is read"),
    (b"", 1, "not well-formed XML: no element found (column 1)"),
    (_quiz("<q>&nbsp;</q>"), 3, "not well-formed XML: undefined entity (column 4)"),
    (_quiz(TF.format('<answer fraction="100"><text>true</text></answer>') + "\n<comment/>"), 4,
     "/quiz/comment[1]: <comment> where a <question> was expected"),
    (_quiz("<question><name><text>x</text></name></question>"), 3,
     "/quiz/question[1]: the question has no type attribute"),
    (_quiz('<question type="category"></question>'), 3, "/quiz/question[1]: <category> is missing"),
    (_quiz('<question type="shortanswer">\n'
           '<questiontext format="html"><text><![CDATA[ <p></p> ]]></text></questiontext>'
           '<answer fraction="100"><text>a</text></answer></question>'), 4,
     "/quiz/question[1]/questiontext: the question has no text"),
    (_quiz('<question type="shortanswer"><questiontext format="rtf"><text>Q</text></questiontext></question>'), 3,
     "/quiz/question[1]/questiontext: format 'rtf' is not one of html, moodle_auto_format, plain_text, markdown"),
    (_quiz('<question type="shortanswer"><questiontext format="html">\n<text>A <b>bold</b> Q</text>'
           '</questiontext></question>'), 4,
     "/quiz/question[1]/questiontext/text: <b> inside <text>: put HTML in <![CDATA[ ... ]]> or escape it"),
    (_quiz(TF.format('<answer fraction="100"><text>yes</text></answer>')), 3,
     "/quiz/question[1]/answer[1]: a true/false answer must be 'true' or 'false' (once each), not 'yes'"),
    (_quiz(TF.format('<answer fraction="50"><text>true</text></answer><answer><text>false</text></answer>')), 3,
     "/quiz/question[1]: question 'T' is a true/false question: one of its answers 'true' / 'false' "
     "needs fraction 100"),
    (_quiz(TF.format('<answer fraction="NaN"><text>true</text></answer>')), 3,
     '/quiz/question[1]/answer[1]: fraction "NaN" is not a number'),
    (_quiz(TF.format('<answer fraction="150"><text>true</text></answer>')), 3,
     "/quiz/question[1]/answer[1]: fraction 150 is outside -100..100"),
    (_quiz(TF.format('<answer fraction="100"><text> </text></answer>')), 3,
     "/quiz/question[1]/answer[1]: the answer has no text"),
    (_quiz(TF.format("<hidden>maybe</hidden>")), 3, "/quiz/question[1]/hidden: 'maybe' is not 0 or 1"),
    (_quiz('<question type="multichoice"><questiontext><text>Q</text></questiontext><single>yes</single>'
           '</question>'), 3, "/quiz/question[1]/single: 'yes' is not true or false"),
    (_quiz('<question type="multichoice"><questiontext><text>Q</text></questiontext><single>false</single>'
           '<answer fraction="0"><text>a</text></answer><answer fraction="-50"><text>b</text></answer>'
           '</question>'), 3, "/quiz/question[1]: the question has no answer with a positive fraction"),
    (_quiz('<question type="multichoice"><questiontext><text>Q</text></questiontext>'
           '<answer fraction="100"><text>a</text></answer><answer fraction="100"><text>b</text></answer>'
           '</question>'), 3, "/quiz/question[1]: the question is a single-answer multichoice: it needs "
                              "exactly one answer with fraction 100, not 2"),
    (_quiz('<question type="shortanswer"><name><text>S</text></name><questiontext><text>Q</text></questiontext>'
           '<answer fraction="90"><text>a</text></answer></question>'), 3,
     "/quiz/question[1]: question 'S' is a short-answer question with no answer at fraction 100"),
    (_quiz('<question type="shortanswer"><questiontext><text>___ and ___</text></questiontext>'
           '<answer fraction="100"><text>a</text></answer></question>'), 3,
     "/quiz/question[1]: the question is a short-answer question with 2 ___ gaps"),
])
def test_errors_name_the_path_and_line(data, line, reason):
    with pytest.raises(InterchangeError) as err:
        read_moodle_xml(data, "t.xml")
    assert (err.value.source, err.value.line, err.value.reason) == ("t.xml", line, reason)


def test_an_error_after_good_questions_returns_nothing():
    """All or nothing: the first question is fine, the second is not."""
    with pytest.raises(InterchangeError, match=r"question\[2\]"):
        read_moodle_xml((DATA / "no-key.xml").read_bytes())


def test_byte_order_mark_and_short_answer_details():
    """A UTF-8 BOM is fine; \\* is a literal star; a wildcard and case sensitivity are noted."""
    data = b"\xef\xbb\xbf" + _quiz(
        '<question type="shortanswer"><name><text>Star</text></name><idnumber>star</idnumber><questiontext><text>Q</text></questiontext>'
        '<usecase>1</usecase><answer fraction="100"><text>5\\*3</text></answer>'
        '<answer fraction="100"><text>Harbin*</text></answer></question>')
    result = parse_moodle_xml(data)
    assert result.items[0].answers == [["5*3", "Harbin*"]]
    assert result.notes == [(3, "star: the wildcard in 'Harbin*' is kept as a plain '*'"),
                            (3, "star: case-sensitive matching is not kept")]


def test_empty_quiz():
    assert read_moodle_xml(_quiz("")) == ([], [])


# --- writing ------------------------------------------------------------------------

SPECIAL = 'a < b & c > d, "quoted" \'single\', ]]> and ]]]]> in CDATA, 哈尔滨 “黑龙江” 🎓'


def _every_kind() -> list[ItemRecord]:
    return [
        ItemRecord("sc", "single_choice", f"Pick one: {SPECIAL}", "Line one\nline two & <three>.",
                   options=[OptionRecord("x < y", True, "Right: x < y."), OptionRecord("]]>"),
                            OptionRecord("哈尔滨 “q” 🎓", False, "Not this & not <that>.")]),
        ItemRecord("mr", "multiple_response", "Pick several", "Three keys.", status="draft",
                   options=[OptionRecord("a", True), OptionRecord("b", True), OptionRecord("c"),
                            OptionRecord("d", True, "d & d")]),
        ItemRecord("tf", "true_false", "It is <true>.", "Yes.",
                   options=[OptionRecord("True", True, "Good"), OptionRecord("False", False, "Bad")]),
        ItemRecord("tf2", "true_false", "It is false.", "No.",
                   options=[OptionRecord("True", False), OptionRecord("False", True)]),
        ItemRecord("sa", "short_answer", "Name it", "", answers=[["a<b", "c&d", "5*3", "\\*", "哈尔滨"]]),
        ItemRecord("cz", "cloze", "Held in ___ in 2023.", "Harbin.", answers=[["Harbin", "哈尔滨"]]),
        ItemRecord("cz-end", "cloze", "It was held in ___", "Harbin.", answers=[["Harbin"]]),
    ]


def test_write_every_kind_and_round_trip():
    items = _every_kind()
    data, skipped = write_moodle_xml(items, "Exported")
    assert skipped == []
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  <question type="category">\n'
                           "    <category><text>$course$/top/Exported</text></category>\n")
    assert "<name><text>sc</text></name>" in text and "<idnumber>sc</idnumber>" in text
    assert ('<questiontext format="html"><text><![CDATA[It is &lt;true&gt;.]]></text></questiontext>' in text)
    assert "<![CDATA[Line one<br>\nline two &amp; &lt;three&gt;.]]>" in text
    assert "<text><![CDATA[]]&gt;]]></text>" in text  # '>' is escaped, so ']]>' cannot end the CDATA
    assert '<answer fraction="33.33333" format="html">' in text
    assert '<answer fraction="33.33334" format="html">' in text
    assert '<answer fraction="-100" format="html">' in text
    assert "<hidden>1</hidden>" in text and "<usecase>0</usecase>" in text
    assert "<text>5\\*3</text>" in text and "<text>a&lt;b</text>" in text
    result = parse_moodle_xml(data, "out.xml")
    assert [i.ext_id for i in result.items] == [i.ext_id for i in items]
    for a, b in zip(items, result.items):
        _same(a, b)
    assert set(result.categories.values()) == {"$course$/top/Exported"}
    assert result.notes == [] and result.unsupported == []


@pytest.mark.parametrize("stem", ["Year\tPlace", "Year\t\tPlace\tFee", "Two  spaces", "Three   spaces",
                                  "Line end \nnext", "Line\n\tindented", "Line\n  indented",
                                  "\tTab first", "Tab last\t", "Written out: &#9; &Tab; &#32;"])
def test_a_tab_or_a_run_of_spaces_comes_back(stem):
    """A tab, a run of spaces, a space at a line's edge (in a stem, an option, its feedback and the
    explanation) come back as written: the writer writes them as character references (a tab as
    ``&#9;``, such a space as ``&#32;``), which the reader keeps, where HTML would collapse them."""
    item = ItemRecord("ws", "single_choice", stem, f"Why: {stem}",
                      options=[OptionRecord(stem, True, stem), OptionRecord("Other")])
    data, skipped = write_moodle_xml([item])
    assert skipped == [] and "\t" not in data.decode("utf-8").split("<questiontext", 1)[1]
    back = read_moodle_xml(data)[0]
    assert len(back) == 1
    _same(item, back[0])
    assert back[0].stem == stem


def test_written_tab_is_a_character_reference():
    item = ItemRecord("ws", "short_answer", "A\tB  C", "E", answers=[["a"]])
    text = write_moodle_xml([item])[0].decode("utf-8")
    assert '<questiontext format="html"><text><![CDATA[A&#9;B&#32;&#32;C]]></text></questiontext>' in text


def test_white_space_of_html_source_still_reads_as_one_space():
    """In an HTML text (as Moodle writes), tabs, runs of spaces and line breaks of the source are
    layout and read as one space; ``&#9;`` and ``&#x20;`` references are kept."""
    question = ('<question type="shortanswer"><name><text>N</text></name>'
                '<questiontext format="html"><text><![CDATA[<p>Year\t\tPlace   and\n   more'
                '&#9;tab&#x20;&#32;two</p>]]></text></questiontext>'
                '<answer fraction="100"><text>a</text></answer></question>')
    items, _ = read_moodle_xml(_quiz(question))
    assert items[0].stem == "Year Place and\nmore\ttab  two"


def test_multiple_response_fractions_sum_to_100():
    """Moodle wants the positive fractions of a multiple-response question to add up to 100."""
    for keys, shares in [(1, ["100"]), (2, ["50", "50"]), (3, ["33.33333", "33.33333", "33.33334"]),
                         (4, ["25"] * 4), (6, ["16.66667"] * 5 + ["16.66665"]), (10, ["10"] * 10)]:
        item = ItemRecord("m", "multiple_response", "Q", "E",
                          options=[OptionRecord(f"k{n}", True) for n in range(keys)] + [OptionRecord("no")])
        text = write_moodle_xml([item])[0].decode()
        written = [line.split('"')[1] for line in text.splitlines() if "<answer " in line]
        assert written == shares + ["-100"]
        assert sum(Decimal(s) for s in shares) == 100


def test_retired_comes_back_as_draft_and_category_paths():
    item = ItemRecord("old", "true_false", "Q", "E", status="retired",
                      options=[OptionRecord("True", True), OptionRecord("False", False)])
    data, _ = write_moodle_xml([item], "$system$/top/Kept as is")
    assert "<category><text>$system$/top/Kept as is</text></category>" in data.decode()
    assert read_moodle_xml(data)[0][0].status == "draft"
    assert write_moodle_xml([])[0] == b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n</quiz>\n'


def test_items_moodle_xml_cannot_carry_are_skipped():
    ok = ItemRecord("ok", "short_answer", "Q", "E", answers=[["a"]])
    cannot = [
        ItemRecord("two-gaps", "cloze", "___ and ___", "x", answers=[["a"], ["b"]]),
        ItemRecord("sa-gap", "short_answer", "It is ___", "x", answers=[["a"]]),
        ItemRecord("no-key", "single_choice", "Q", "x", options=[OptionRecord("a"), OptionRecord("b")]),
        ItemRecord("many-keys", "multiple_response", "Q", "x",
                   options=[OptionRecord(str(n), True) for n in range(11)]),
        ItemRecord("blank", "single_choice", "Q", "x", options=[OptionRecord(" ", True), OptionRecord("b")]),
        ItemRecord("control", "short_answer", "Q\x07", "x", answers=[["a"]]),
        ItemRecord("odd", "essay", "Q", "x"),
    ]
    data, skipped = write_moodle_xml([cannot[0], ok] + cannot[1:])
    assert skipped == [i.ext_id for i in cannot]
    assert [i.ext_id for i in read_moodle_xml(data)[0]] == ["ok"]


def test_symposium_bank_round_trip():
    """Every item of the shipped bank goes out and comes back the same, except passage and origin."""
    items = read_bank_file(BANK).items
    data, skipped = write_moodle_xml(items, "harbin-symposium-2023")
    assert skipped == []
    result = parse_moodle_xml(data, "symposium.xml")
    assert len(result.items) == len(items) == 44
    for a, b in zip(items, result.items):
        _same(a, b)
        assert b.passage is None and b.origin == "imported"
    assert result.problems == [] and result.unsupported == [] and result.notes == []
    assert {i.kind for i in result.items} == {"single_choice", "multiple_response", "true_false",
                                              "short_answer", "cloze"}

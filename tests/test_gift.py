"""Reading and writing Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format)."""
import re
from pathlib import Path

import pytest

from studyapp.interchange.bankfile import read_bank_file
from studyapp.interchange.gift import GiftError, parse_gift, write_gift
from studyapp.interchange.records import ItemRecord, OptionRecord

DATA = Path(__file__).parent / "data" / "gift"
BANK = Path(__file__).parent.parent / "questions" / "banks" / "harbin-symposium-2023.yaml"
FIELDS = ("ext_id", "kind", "stem", "options", "answers", "explanation")


def _same(a: ItemRecord, b: ItemRecord) -> None:
    for name in FIELDS:
        assert getattr(a, name) == getattr(b, name), (a.ext_id, name)


def test_symposium_bank_round_trip():
    """Every item of the shipped bank survives write_gift then parse_gift."""
    items = read_bank_file(BANK).items
    skipped = []
    text = write_gift(items, "symposium", skipped=skipped)
    assert skipped == []
    result = parse_gift(text, "symposium.gift")
    assert len(result.items) == len(items)
    for a, b in zip(items, result.items):
        _same(a, b)
    assert set(result.categories.values()) == {"symposium"}
    assert result.problems == []


@pytest.fixture(scope="module")
def features():
    return parse_gift((DATA / "features.gift").read_text(encoding="utf-8"), "features.gift")


def _by_id(result):
    """Items by the slug of their title (``-2`` for a repeat), else by ext_id."""
    from studyapp.interchange.gift import _slug

    out = {}
    for i in result.items:
        key = _slug(result.titles[i.ext_id]) or i.ext_id
        key = key if key not in out else f"{key}-2"
        out[key] = i
    return out


def test_titles_categories_comments(features):
    """A title that is a valid id is the item's id; other titles (and no title) give gift-<hash of title
    and text>, the same in every file, so two files' "Question 1" never overwrite each other.
    Categories and comments are kept."""
    ids = [i.ext_id for i in features.items]
    assert ids[:3] == ["capital-city", "which-are-in-the-northeast", "harbin-true"]
    assert len(set(ids)) == len(ids)
    dup = _by_id(features)["capital-city-2"].ext_id  # ::Capital city:: is a name: hashed id
    assert re.fullmatch(r"gift-[0-9a-f]{12}", dup)
    assert features.titles["capital-city"] == "capital-city" and features.titles[dup] == "Capital city"
    assert features.categories["capital-city"] == "$course$/Symposium/Places"
    assert features.categories[dup] == "$course$/Symposium/Other"
    assert (1, "GIFT features, written from https://docs.moodle.org/en/GIFT_format") in features.comments
    assert [line for line, _ in features.comments] == [1, 2, 19]
    assert all(i.origin == "imported" for i in features.items)
    assert [i.ext_id for i in parse_gift((DATA / "features.gift").read_text(encoding="utf-8")).items] == ids
    assert [i.ext_id for i in parse_gift("::q-1::A? {T}\n\n::Q 2::B? {F}\n\nC? {T}").items][0] == "q-1"


def test_repeated_id_titles_are_an_error():
    with pytest.raises(GiftError, match=r"<gift>:3: the title ::zz:: is used twice"):
        parse_gift("::zz::Q1 {=a ~b}\n\n::zz::Q3 {=e ~f}")


def test_single_choice_with_feedback(features):
    item = _by_id(features)["capital-city"]
    assert item.kind == "single_choice"
    assert item.stem == "Harbin is the capital of which province?"
    assert item.options == [OptionRecord("Heilongjiang", True, "Right: Harbin is its capital."),
                            OptionRecord("Jilin", False, "No, that is Changchun's province."), OptionRecord("Liaoning")]
    assert item.explanation == "Harbin is the capital of Heilongjiang."
    assert features.feedback["capital-city"] == [
        ("Heilongjiang", "Right: Harbin is its capital."), ("Jilin", "No, that is Changchun's province.")]


def test_weights_make_multiple_response(features):
    """Positive ~%w% weights are keys; zero and negative ones are distractors."""
    item = _by_id(features)["which-are-in-the-northeast"]
    assert item.kind == "multiple_response"
    assert [(o.text, o.is_key, o.feedback) for o in item.options] == [
        ("Heilongjiang", True, ""), ("Jilin", True, ""), ("Yunnan", False, "Yunnan is in the south-west."),
        ("Hainan", False, "")]
    assert features.feedback[item.ext_id] == [("Yunnan", "Yunnan is in the south-west.")]


def test_true_false(features):
    items = _by_id(features)
    assert items["harbin-true"].kind == "true_false"
    assert items["harbin-true"].options == [OptionRecord("True", True), OptionRecord("False", False)]
    q = items["qiqihar"]
    # {F#for a wrong answer#for a right answer}: the learner who picks True reads the first
    assert q.options == [OptionRecord("True", False, "No, it was held in Harbin."),
                         OptionRecord("False", True, "Yes, Harbin is right.")]
    assert q.explanation == "It was Harbin."
    assert features.feedback["qiqihar"] == [("True", "No, it was held in Harbin."), ("False", "Yes, Harbin is right.")]
    assert items["markdown"].kind == "true_false"


def test_short_answer_and_missing_word(features):
    items = _by_id(features)
    assert items["short-date"].kind == "short_answer"
    assert items["short-date"].answers == [["7", "seven", "7th"]]
    cloze = items["missing-word"]
    assert cloze.kind == "cloze"
    assert cloze.stem == "The symposium was held in ___ on 7 September 2023."
    assert cloze.answers == [["Harbin", "哈尔滨"]]


def test_escapes_and_unicode(features):
    items = _by_id(features)
    esc = items["escapes"]
    assert esc.stem == "Write 1 = 1, a ~ b, # tag, {braces}, a: colon and a backslash \\ here."
    assert esc.options == [OptionRecord("a = b", True), OptionRecord("c ~ d")]
    uni = items["unicode"]
    assert uni.stem == "哈尔滨 is “the ice city” 🧊 — true?"
    assert uni.explanation == "“Ice city” ❄️ indeed."


def test_format_markers(features):
    """[html] is reduced to its text (scripts dropped, entities decoded); [markdown] and [plain] only lose the marker."""
    items = _by_id(features)
    assert items["html"].stem == "Which river flows through Harbin & its centre?"
    assert items["html"].options[0] == OptionRecord("The Songhua", True)
    assert items["markdown"].stem == "Is **Harbin** north of Beijing?"
    assert items["plain"].stem == "Harbin lies on which river?"


def test_unsupported_kinds_are_listed(features):
    assert features.unsupported == [
        (46, "matching", "Matching"), (51, "numerical", "Numerical"),
        (53, "essay", "Essay"), (55, "description", "Intro")]
    assert len(features.items) == 13


def test_items_without_general_feedback_are_reported(features):
    """Items that break the bank-file rules (no explanation) are returned and reported."""
    reported = {ext_id for _, ext_id, _ in features.problems}
    assert "harbin-true" in reported and "capital-city" not in reported


@pytest.mark.parametrize("name, line, words", [
    ("unclosed.gift", 5, "never closed"),
    ("no-key.gift", 4, "no correct answer"),
])
def test_malformed_files(name, line, words):
    with pytest.raises(GiftError) as err:
        parse_gift((DATA / name).read_text(encoding="utf-8"), name)
    assert err.value.line == line
    assert err.value.source == name
    assert words in err.value.reason
    assert f"{name}:{line}:" in str(err.value)


@pytest.mark.parametrize("text, line, words", [
    ("::A::Q? {=yes}\n\n::B::Q? {=a ~}\n", 3, "empty answer"),
    ("::A::Q? {=yes}\n\n\n::B::Q? {T}\\", 4, "backslash ends"),
    ("::A::Q?\n{~%0%a ~%-50%b}\n", 2, "no correct answer"),
    ("::A::Q? {~a ~b}\n", 1, "no correct answer"),
    ("::A::Q? {=%0%a}\n", 1, "no correct answer"),
    ("::A::Q? {=a ~%x%b}\n", 1, "bad weight"),
    ("::A::Q? {=a =b ~c}\n", 1, "several '='"),
    ("::A::Q? {=a} and {=b}\n", 1, "second answer block"),
    ("::A::Q? {=a {=b}}\n", 1, "inside an answer block"),
])
def test_errors(text, line, words):
    with pytest.raises(GiftError) as err:
        parse_gift(text)
    assert err.value.line == line and words in err.value.reason


def test_write_every_kind_and_round_trip():
    """Special characters are escaped; every kind comes back the same."""
    items = [
        ItemRecord("sc", "single_choice", "Pick {one}: a=b?", "Because # and ~.",
                   options=[OptionRecord("x = y", True), OptionRecord("~z"), OptionRecord("哈尔滨 “q” 🙂")]),
        ItemRecord("mr", "multiple_response", "Pick several", "Two keys.",
                   options=[OptionRecord("a", True), OptionRecord("b", True), OptionRecord("c"), OptionRecord("d", True)]),
        ItemRecord("tf", "true_false", "It is true\\ that.", "Yes.",
                   options=[OptionRecord("True", True), OptionRecord("False", False)]),
        ItemRecord("tf2", "true_false", "It is false.", "No.",
                   options=[OptionRecord("True", False), OptionRecord("False", True)]),
        ItemRecord("sa", "short_answer", "Name it", "Line one\nline two.", answers=[["a:b", "c#d", "e\\f"]]),
        ItemRecord("cz", "cloze", "Held in ___ in 2023.", "Harbin.", answers=[["Harbin", "哈尔滨"]]),
        ItemRecord("cz-end", "cloze", "It was held in ___", "Harbin.", answers=[["Harbin"]]),
        ItemRecord("cz-start", "cloze", "___ hosted it.", "Harbin.", answers=[["Harbin"]]),
        ItemRecord("html-looking", "short_answer", "[html]<b>not html</b>", "x", answers=[["y"]]),
    ]
    text = write_gift(items, "Exported")
    assert text.startswith("$CATEGORY: Exported\n")
    assert "Pick \\{one\\}\\: a\\=b?" in text
    assert "::sc::" in text and "####Because \\# and \\~." in text
    result = parse_gift(text)
    assert [i.ext_id for i in result.items] == [i.ext_id for i in items]
    for a, b in zip(items, result.items):
        _same(a, b)
    assert set(result.categories.values()) == {"Exported"}


def test_cloze_with_several_gaps_is_not_representable():
    """By default such an item raises; with a 'skipped' list it is left out and listed."""
    two = ItemRecord("two", "cloze", "___ and ___", "x", answers=[["a"], ["b"]])
    one = ItemRecord("one", "short_answer", "Q", "x", answers=[["a"]])
    with pytest.raises(GiftError, match="two"):
        write_gift([one, two])
    skipped = []
    text = write_gift([one, two], skipped=skipped)
    assert [(i.ext_id) for i, _ in skipped] == ["two"]
    assert [i.ext_id for i in parse_gift(text).items] == ["one"]


def test_partial_credit_short_answer_is_noted_and_choice_missing_word_keeps_gap():
    result = parse_gift("::t::Q {=a =%50%b}\n\n::m::It was {~Qiqihar =Harbin} in 2023.\n")
    items = _by_id(result)
    assert items["t"].answers == [["a"]]
    assert result.notes == [(1, "t: partial-credit answer 'b' (50%) not kept")]
    assert items["m"].kind == "single_choice" and items["m"].stem == "It was ___ in 2023."


def test_text_with_markup_characters_is_written_as_html_entities():
    """Moodle reads GIFT text as HTML by default: a text with < or & goes out as [html] with entities
    (so Moodle shows it as text) and comes back exactly; text with runs of spaces stays plain."""
    items = [
        ItemRecord("a1", "single_choice", "Is 3 < 5 & 2 > 1?", "Yes & <b>no</b>.",
                   options=[OptionRecord("<yes>", True, "Right & <ok>"), OptionRecord("no")]),
        ItemRecord("a2", "cloze", "Use <br> in ___ tags.", "E", answers=[["HTML & XML"]]),
        ItemRecord("a3", "true_false", "A & B", "x", options=[OptionRecord("True", True, "a<b"),
                                                              OptionRecord("False", False, "c&d")]),
        ItemRecord("a4", "short_answer", "Name  <two spaces>", "E", answers=[["x"]]),
    ]
    text = write_gift(items)
    assert "::a1::[html]Is 3 &lt; 5 &amp; 2 &gt; 1? {" in text and "=&lt;yes&gt; #Right &amp; &lt;ok&gt;" in text
    assert "::a2::[html]Use &lt;br&gt; in {=HTML &amp; XML ####E} tags." in text
    assert "::a4::Name  <two spaces> {=x ####E}" in text
    back = parse_gift(text).items
    for a, b in zip(items, back):
        _same(a, b)
        assert a.options == b.options

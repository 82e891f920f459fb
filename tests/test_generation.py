"""Tests of the question generator (studyapp.generation): pure functions, no app or database."""
from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from studyapp.generation import (MAX_SOURCE_BYTES, GenerationInputError, generate, load_lexicon,
                                 read_source, segment, to_bank_mapping)
from studyapp.generation.build import Candidate, Context, OptionRecord, date_forms, same_form
from studyapp.generation.extract import analyse, resolve, split_clauses
from studyapp.generation import topic_phrases
from studyapp.generation.gates import ITEM_GATES, MAX_COPIED_RUN, Bank, ext_id, longest_copied_run, \
    unresolved_pronoun
from studyapp.generation.lexicon import gerund, parse_lexicon
from studyapp.generation.nlp import get_pipeline
from studyapp.interchange.bankfile import ID_PATTERN, item_problems
from studyapp.interchange.sourcetext import parse_source
from studyapp.scoring import normalise_answer

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "questions" / "sources" / "harbin-symposium-2023.md"
KEY_FACTS = ROOT / "questions" / "key_facts.yaml"
KINDS = {"cloze", "single_choice", "true_false", "short_answer", "multiple_response"}

# A news-style text written for these tests (not the original article): a date line,
# "he" for the speaker, lists of regions, posts and policy statements.
SEED_LIKE = """ date 2023-09-09 Leader Presides over Symposium on the Northeast

On September 7th, President Xi Jinping chaired a meeting in Harbin, Heilongjiang Province on reviving the whole of Northeast China. At the meeting, he delivered a significant speech.

Cai Qi, Director of the CPC Central Committee's General Office, was present, as was Ding Xuexiang, Vice Premier of the State Council. Party chiefs of Liaoning, Jilin, Heilongjiang and Inner Mongolia each gave an account of the work in their own province or region.

President Xi looked back on progress since the last such meeting, which took place in Shenyang in 2018. He pointed to strengths of the Northeast such as plentiful resources, a firm industrial base and a strategic place in energy and national defense.

President Xi asked for existing industries to be consolidated, industrial chains to be lengthened and added value to be raised. He underlined cooperation between central and local authorities and backed a thriving private economy.

President Xi said that the Northeast carries the main responsibility for national food security. He argued for modern farming and rural areas, for greater grain production capacity and for a modern setting in which farming can prosper.
"""


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="module")
def study():
    """The generator's output on the project's study text (run once per module)."""
    return generate(STUDY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seedlike():
    """The generator's output on a news-report text in the style of the original article."""
    return generate(SEED_LIKE, seed=0)


@pytest.fixture(scope="module")
def ctx(lexicon):
    """A builder context over the study text, for testing gates on crafted candidates."""
    import random
    doc = segment(STUDY.read_text(encoding="utf-8"))
    analysis = analyse(doc.passages, get_pipeline(lexicon), lexicon)
    return Context(analysis, lexicon, random.Random(0), " ".join(p.text for p in doc.passages))


# -- reading files -------------------------------------------------------------------------

def test_read_source_plain_text_and_markdown_are_returned_as_they_are():
    """A .txt or .md upload comes back as its UTF-8 text (a BOM is dropped)."""
    assert read_source(b"\xef\xbb\xbfOne line.\n", "a.txt") == "One line.\n"
    assert read_source("# Title\n\nPara ü.\n".encode(), "notes.MD") == "# Title\n\nPara ü.\n"


def test_read_source_html_keeps_visible_text_only():
    """HTML markup is stripped with a parser: scripts and styles vanish, blocks become
    paragraphs, headings become '#' lines, entities are decoded."""
    html = (b"<html><head><title>T</title><style>p{color:red}</style></head><body>"
            b"<h1>Big &amp; bold</h1><script>alert('x')</script>"
            b"<p>First <b>para</b>graph.</p><div>Second<br>line &lt;3</div></body></html>")
    text = read_source(html, "page.html")
    assert "alert" not in text and "color" not in text and "<" not in text.replace("<3", "")
    assert text.split("\n\n") == ["# Big & bold", "First paragraph.", "Second", "line <3\n"]
    assert read_source(b"<p>Hi there</p>", "x.htm") == "Hi there\n"


@pytest.mark.parametrize("data, name, message", [
    (b"abc", "a.pdf", "not a supported file type"),
    (b"a" * (MAX_SOURCE_BYTES + 1), "big.txt", "the limit is 2 MB"),
    (b"PK\x03\x04\x00\x00binary", "x.txt", "looks binary"),
    ("caf\u00e9".encode("latin-1"), "x.txt", "not UTF-8"),
    (b"", "x.txt", "empty"),
    (b"  \n\t \n", "x.md", "empty"),
    (b"<html><script>only()</script></html>", "x.html", "empty"),
])
def test_read_source_rejects_bad_input_with_a_clear_message(data, name, message):
    """Unknown types, oversize, binary, non-UTF-8 and empty files raise GenerationInputError."""
    with pytest.raises(GenerationInputError, match=message):
        read_source(data, name)


def test_generate_rejects_empty_text_and_text_without_usable_sentences():
    """Whitespace-only text and text with only headings or very short sentences are refused."""
    with pytest.raises(GenerationInputError, match="empty"):
        generate("   \n ")
    with pytest.raises(GenerationInputError, match="no paragraph"):
        generate("# Only a heading\n\n## And another\n")
    with pytest.raises(GenerationInputError, match="no usable sentence"):
        generate("Yes.\n\nNo way.\n")


# -- segmentation --------------------------------------------------------------------------

def test_study_text_passages_are_those_of_parse_source():
    """With front matter, passage numbers, texts and headings equal parse_source's."""
    text = STUDY.read_text(encoding="utf-8")
    ours, theirs = segment(text), parse_source(text)
    assert [(p.number, p.text, p.heading) for p in ours.passages] == \
        [(p.number, p.text, p.heading) for p in theirs.passages]
    assert (ours.slug, ours.title) == (theirs.slug, theirs.title)
    assert len(ours.passages) == 16


def test_headings_title_lines_and_date_lines_are_not_passages():
    """Markdown headings, short title-like lines and 'date ...' lines are headings, not passages."""
    text = ("date 2023-09-09 Xi Presides over Symposium\n\nFirst paragraph is here. It has two sentences.\n\n"
            "# Section\n\nA Short Title Line\n\nSecond paragraph, with a comma.\n")
    doc = segment(text)
    assert [p.text for p in doc.passages] == ["First paragraph is here. It has two sentences.",
                                             "Second paragraph, with a comma."]
    assert doc.title == "Xi Presides over Symposium"
    assert doc.passages[0].heading == "Xi Presides over Symposium"
    assert doc.passages[1].heading == "A Short Title Line"
    assert doc.slug == "xi-presides-over-symposium"


def test_items_never_ask_about_the_date_line(seedlike):
    """The date line (2023-09-09) is no passage, so no item cites or quotes it."""
    assert seedlike.document.passages[0].text.startswith("On September 7th")
    assert not any("2023-09-09" in i.stem or "2023-09-09" in i.explanation for i in seedlike.items)


def test_clauses_are_split_at_coordinated_reporting_verbs():
    """'S v1 X and v2 Y' becomes two statements with the same subject; ';' splits too."""
    assert split_clauses("Xi also underscored the importance of cooperation and encouraged the private economy.",
                         "Xi") == ["Xi also underscored the importance of cooperation.",
                                   "Xi encouraged the private economy."]
    assert split_clauses("The first is to innovate in industry; the second is to build a system.", None) == \
        ["The first is to innovate in industry.", "The second is to build a system."]


# -- pronouns ------------------------------------------------------------------------------

def test_subject_pronouns_become_the_speaker():
    """'He ...', '..., he ...' and 'His ...' are replaced by the current speaker."""
    assert resolve("He stressed the need to act.", "President Xi")[0] == "President Xi stressed the need to act."
    assert resolve("During the symposium, he delivered a speech.", "Xi")[0] == \
        "During the symposium, Xi delivered a speech."
    assert resolve("His central point was clear.", "Xi")[0] == "Xi's central point was clear."
    assert resolve("Cai Qi said he agreed.", "Xi", ("Cai Qi",))[0] == "Cai Qi said he agreed."
    assert resolve("That earlier meeting was held in 2018.", "Xi")[0] == "The earlier meeting was held in 2018."


def test_generated_stems_show_the_speaker_not_he(seedlike):
    """The seed-style text's 'he delivered a significant speech' is asked as 'President Xi Jinping delivered'."""
    stems = [i.stem for i in seedlike.items]
    assert not any(re.match(r"(He|She|His|Her)\b", s) for s in stems)
    statements = [s for s in stems if "delivered a significant speech" in s]
    assert all("President Xi Jinping delivered" in s for s in statements)


def test_unresolved_pronouns_are_detected():
    """A pronoun pointing outside the stem is caught; one with its referent in the stem is not."""
    def cand(stem, kind="true_false"):
        return Candidate(kind, stem, 1, "k")
    assert unresolved_pronoun(cand("To meet it, Xi backed modernization.")) == "it"
    assert unresolved_pronoun(cand("He stressed the need to act.")) == "he"
    assert unresolved_pronoun(cand("The role that these enterprises play is important.")) == "these"
    assert unresolved_pronoun(cand("The first is to use technological progress.")) == "first"
    assert unresolved_pronoun(cand("Officials reported on the areas they are responsible for.")) is None
    assert unresolved_pronoun(cand("Xi gave encouragement to the private economy, saying it should grow.")) is None
    assert unresolved_pronoun(cand("Who expressed his confidence in the region?", "short_answer")) is None


# -- items -----------------------------------------------------------------------------------

def _check_structure(items, passages):
    for item in items:
        assert item.status == "draft" and item.origin == "generated"
        assert 1 <= item.passage <= passages
        assert re.match(ID_PATTERN, item.ext_id)
        assert item.explanation.startswith(("Passage ", "True. Passage ", "False. Passage "))
        assert f"assage {item.passage} says" in item.explanation
        if item.kind == "cloze":
            assert item.stem.count("___") == 1 and len(item.answers) == 1 and item.answers[0]
        elif item.kind == "short_answer":
            assert item.stem.endswith("?") and len(item.answers) == 1 and item.answers[0]
        elif item.kind == "single_choice":
            assert len(item.options) == 4 and sum(o.is_key for o in item.options) == 1
        elif item.kind == "multiple_response":
            assert len(item.options) >= 5 and sum(not o.is_key for o in item.options) == 3
        elif item.kind == "true_false":
            assert [o.text for o in item.options] == ["True", "False"]
            assert sum(o.is_key for o in item.options) == 1 and item.stem.endswith(".")
        assert item_problems(to_bank_mapping(item)) == []


def test_study_text_gives_at_least_30_valid_items_of_all_five_kinds(study):
    """On the study text: >= 30 drafts, every kind present, each passing the bank-file rules.
    (Each fact is asked once: a cloze or true/false restating a stronger item is dropped.)"""
    assert len(study.items) >= 30
    assert {i.kind for i in study.items} == KINDS
    _check_structure(study.items, len(study.document.passages))
    assert len({i.ext_id for i in study.items}) == len(study.items)
    assert len({normalise_answer(i.stem) for i in study.items}) == len(study.items)


def test_seed_style_text_gives_every_kind(seedlike):
    """A short news report gives items of the four asking kinds with valid structure; its
    true/false statements (each restating a fact a stronger item asks) may all be dropped."""
    assert {i.kind for i in seedlike.items} >= KINDS - {"true_false"}
    assert seedlike.report.kept.get("true_false", 0) > 0 or \
        seedlike.report.rejected.get("true_false", {}).get("gives_away_other_item", 0) > 0
    _check_structure(seedlike.items, len(seedlike.document.passages))


def test_expected_questions_on_the_study_text(study):
    """Relation templates ask where, when, and in what capacity people attended; not who chaired
    (Xi, named in most passages, is the text's topic: no cloze or short-answer key), and
    neither the where nor the when stem shows the other's key."""
    by_stem = {i.stem: i for i in study.items}
    assert not any(i.kind in {"cloze", "short_answer"} and "Xi Jinping" in i.answers[0] for i in study.items)
    where = by_stem["In which city did Chinese President Xi Jinping chair the symposium?"]
    assert [o.text for o in where.options if o.is_key] == ["Harbin"]
    when = by_stem["On what date did Chinese President Xi Jinping chair the symposium?"]
    assert {"7 September 2023", "September 7"} <= set(when.answers[0])
    # one person in two is asked the other way round: Cai Qi's post, who was Vice Premier
    capacity = by_stem["According to the text, in what capacity did Cai Qi take part in the symposium?"]
    assert [o.text for o in capacity.options if o.is_key] == ["Director of the CPC Central Committee's General Office"]
    who = by_stem["Who took part in the symposium as Vice Premier of the State Council?"]
    assert who.kind == "short_answer" and who.answers[0][0] == "Ding Xuexiang"
    assert "According to the text, in what capacity did Ding Xuexiang take part in the symposium?" not in by_stem
    provinces = [i for i in study.items if i.kind == "multiple_response" and "Party secretaries" in i.stem][0]
    assert sorted(o.text for o in provinces.options if o.is_key) == ["Heilongjiang", "Inner Mongolia", "Jilin",
                                                                      "Liaoning"]


def test_true_false_statements_are_true_or_false_per_text(study):
    """True and false statements both occur; a false one names, where the quoted sentence has
    its key, something that sentence does not say."""
    tf = [i for i in study.items if i.kind == "true_false"]
    assert any(o.is_key and o.text == "True" for i in tf for o in i.options)
    assert any(o.is_key and o.text == "False" for i in tf for o in i.options)
    for item in tf:
        if item.options[1].is_key:      # false: the explanation names what was swapped
            m = re.search(r'"(.+)" Passage \d+ names (.+), not (.+)\.$', item.explanation)
            assert m and m.group(3) in item.stem
            passage = study.document.passages[item.passage - 1].text
            assert normalise_answer(item.stem.removeprefix("According to the text, ")) not in \
                normalise_answer(passage)
            if not item.stem.startswith("According to the text"):   # a copied sentence, one phrase swapped
                assert m.group(3).lower() not in m.group(1).lower()


def test_distractors_have_the_type_of_the_key(study, lexicon):
    """City keys get cities, province keys provinces, years years, titles titles."""
    def type_of(text):
        entry = lexicon.lookup(text)
        return entry.type if entry else ("YEAR" if re.fullmatch(r"\d{4}", text) else None)
    checked = 0
    for item in study.items:
        if item.kind != "single_choice":
            continue
        key = next(o.text for o in item.options if o.is_key)
        kind = type_of(key)
        if kind in {"CITY", "PROVINCE", "YEAR", "TITLE", "ORG", "REGION"}:
            for o in item.options:
                assert type_of(o.text) == kind, (item.stem, o.text)
            checked += 1
        norms = [normalise_answer(o.text) for o in item.options]
        assert len(set(norms)) == len(norms)
    assert checked >= 5


def test_distractors_are_never_correct_according_to_the_text(study):
    """No distractor of a choice item is an answer the cited passage gives to the same relation."""
    item = next(i for i in study.items if i.stem == "According to the text, Harbin is the capital of which province?")
    assert [o.text for o in item.options if o.is_key] == ["Heilongjiang"]
    mr = next(i for i in study.items if "Party secretaries" in i.stem)
    passage = study.document.passages[mr.passage - 1].text
    assert all(o.text not in passage for o in mr.options if not o.is_key)


def test_key_facts_are_covered(study):
    """At least 80% of the hand-annotated key facts are asked by some item: the key of a choice,
    cloze or short-answer item, or stated by a true statement (whose key is "True")."""
    facts = yaml.safe_load(KEY_FACTS.read_text(encoding="utf-8"))["facts"]
    keys = set()
    stated = []
    for item in study.items:
        if item.kind != "true_false":
            keys.update(normalise_answer(o.text) for o in item.options if o.is_key)
        elif item.options[0].is_key:
            stated.append(f" {normalise_answer(item.stem)} ")
        for gap in item.answers:
            keys.update(normalise_answer(a) for a in gap)

    def asked(answer: str) -> bool:
        a = normalise_answer(answer)
        return a in keys or any(f" {a} " in s for s in stated)

    covered = [f for f in facts if any(asked(a) for a in f["answers"])]
    assert len(facts) >= 40
    assert len(covered) / len(facts) >= 0.8, [f["fact"] for f in facts if f not in covered]


def test_report_counts_every_candidate(study):
    """Per kind: generated = rejected by the gates + kept; the printed report names the gates."""
    report = study.report
    for kind in KINDS:
        rejected = sum(report.rejected.get(kind, {}).values())
        assert report.generated[kind] == rejected + report.kept[kind]
    text = report.format()
    assert "generated" in text and "kept" in text and "near_duplicate_stem" in text
    assert report.key_longest_share <= 0.4


def test_max_items_keeps_a_balanced_subset(study):
    """max_items keeps at most that many, from every kind, each one also in the full run."""
    result = generate(STUDY.read_text(encoding="utf-8"), max_items=10)
    assert len(result.items) == 10
    assert {i.kind for i in result.items} == KINDS
    assert {i.ext_id for i in result.items} <= {i.ext_id for i in study.items}


# -- determinism and identity -----------------------------------------------------------------

def test_same_text_and_seed_give_the_same_items(study):
    """Generating again with the same seed gives identical items (ids, stems, options, order)."""
    again = generate(STUDY.read_text(encoding="utf-8"))
    assert [asdict(i) for i in again.items] == [asdict(i) for i in study.items]


def test_other_seeds_may_change_choices_but_not_identities(study):
    """Another seed can pick other distractors or orders; an item's id stays tied to its
    passage, kind and key, so regenerating adds no duplicate."""
    text = STUDY.read_text(encoding="utf-8")
    others = [generate(text, seed=s) for s in (1, 2)]
    assert any([asdict(i) for i in o.items] != [asdict(i) for i in study.items] for o in others)
    base = {i.ext_id: i for i in study.items}
    shared = [i for o in others for i in o.items if i.ext_id in base]
    assert len(shared) >= 0.7 * len(study.items)
    for item in shared:
        assert (item.passage, item.kind) == (base[item.ext_id].passage, base[item.ext_id].kind)


def test_ext_id_depends_only_on_passage_kind_and_normalised_key():
    """The id is 'gen-' + 12 hex digits, the same for keys differing in case or spacing."""
    a = ext_id(3, "cloze", "Harbin")
    assert re.fullmatch(r"gen-[0-9a-f]{12}", a)
    assert ext_id(3, "cloze", "  harbin ") == a
    assert ext_id(4, "cloze", "Harbin") != a and ext_id(3, "short_answer", "Harbin") != a


# -- gates -----------------------------------------------------------------------------------

GATES = dict(ITEM_GATES)


def _sc(stem, key, distractors, passage=1):
    options = [OptionRecord(key, True)] + [OptionRecord(d, False) for d in distractors]
    return Candidate("single_choice", stem, passage, key, options=options, support=[key],
                     explanation="Passage 1 says so.")


def test_gate_complete_stem(ctx):
    """Questions end with '?', cloze stems have exactly one blank, statements end with '.'."""
    ok = _sc("In which city was the symposium held?", "Harbin", ["Shenyang", "Dalian", "Changchun"])
    assert GATES["complete_stem"](ok, ctx)
    assert not GATES["complete_stem"](_sc("In which city was the symposium held", "Harbin", []), ctx)
    two = Candidate("cloze", "The ___ was held in ___.", 1, "x", answers=["x"])
    assert not GATES["complete_stem"](two, ctx)
    assert GATES["complete_stem"](Candidate("cloze", "The symposium was held in ___.", 1, "x", ["x"]), ctx)
    assert not GATES["complete_stem"](Candidate("true_false", "The symposium was held in ___.", 1, "x"), ctx)


def test_gate_no_unresolved_pronoun(ctx):
    """A stem with 'He' at its start is rejected."""
    assert not GATES["no_unresolved_pronoun"](Candidate("true_false", "He urged reform of the SOEs.", 1, "k"), ctx)


def test_gate_key_supported(ctx):
    """The key must occur in the cited passage: Harbin is in passage 1, not in passage 5."""
    assert GATES["key_supported"](_sc("Where?", "Harbin", [], passage=1), ctx)
    assert not GATES["key_supported"](_sc("Where?", "Harbin", [], passage=5), ctx)
    made_up = Candidate("true_false", "Xi closed a steel plant in Dalian yesterday.", 1, "true:x")
    assert not GATES["key_supported"](made_up, ctx)


def test_gate_key_not_in_stem(ctx):
    """A cloze whose answer is visible elsewhere in the stem is rejected."""
    bad = Candidate("cloze", "Harbin hosted the meeting in ___.", 1, "Harbin", answers=["Harbin"])
    assert not GATES["key_not_in_stem"](bad, ctx)


def test_gate_enough_distractors(ctx):
    """Single choice needs three distractors."""
    assert not GATES["enough_distractors"](_sc("Where?", "Harbin", ["Shenyang", "Dalian"]), ctx)
    assert GATES["enough_distractors"](_sc("Where?", "Harbin", ["Shenyang", "Dalian", "Hohhot"]), ctx)


def test_gate_distractor_form(ctx):
    """Distractors of another form, or equal to another option after normalising, are rejected."""
    assert not GATES["distractor_form"](_sc("Where?", "Harbin", ["Shenyang", "Dalian", "2018"]), ctx)
    assert not GATES["distractor_form"](_sc("Where?", "Harbin", ["Shenyang", "shenyang ", "Dalian"]), ctx)
    assert not GATES["distractor_form"](_sc("Where?", "Harbin", ["Shenyang", "Dalian", "the city of ice"]), ctx)
    assert GATES["distractor_form"](_sc("Where?", "Harbin", ["Shenyang", "Dalian", "Hohhot"]), ctx)
    assert same_form("2018", "2016") and not same_form("2018", "Harbin")


def test_gate_false_statement_unsupported(ctx):
    """A 'false' statement the text also supports is rejected."""
    st = next(s for s in ctx.analysis.statements if s.text.startswith("The earlier meeting was held in 2018"))
    made = Candidate("true_false", st.text.replace("Shenyang", "Harbin"), st.passage, "false:x",
                     swapped=("Shenyang", "Harbin"), statement=st)
    assert GATES["false_statement_unsupported"](made, ctx)
    st1 = next(s for s in ctx.analysis.statements if "chaired a symposium in Harbin" in s.text)
    same = Candidate("true_false", st1.text, st1.passage, "false:y", swapped=("Harbin", "Heilongjiang"), statement=st1)
    assert not GATES["false_statement_unsupported"](same, ctx)


def test_gate_bank_rules(ctx):
    """An item the bank-file rules refuse (a cloze gap without an answer) is rejected."""
    bad = Candidate("cloze", "The symposium was held in ___.", 1, "Harbin", answers=["  "],
                    explanation="Passage 1 says so.")
    assert not GATES["bank_rules"](bad, ctx)


def test_bank_gates_catch_duplicates_and_near_duplicates():
    """Same stem, same (passage, key), or a reworded stem are refused by the bank."""
    bank = Bank({})
    first = Candidate("short_answer", "Who chaired the symposium in Harbin in September 2023?", 1,
                      "Xi Jinping", ["Xi Jinping"])
    assert bank.check(first) is None
    bank.add(first)
    assert bank.check(Candidate("short_answer", first.stem, 2, "Other", ["Other"])) == "duplicate_stem"
    assert bank.check(Candidate("short_answer", "Who spoke first?", 1, "xi  jinping", ["Xi"])) == \
        "duplicate_passage_key"
    near = Candidate("short_answer", "In September 2023, who chaired the symposium in Harbin?", 3, "Xi", ["Xi"])
    assert bank.check(near) == "near_duplicate_stem"
    other = Candidate("short_answer", "Which province is Harbin the capital of?", 3, "Heilongjiang", ["Heilongjiang"])
    assert bank.check(other) is None


@pytest.fixture(scope="module")
def topic_ctx(lexicon):
    """A builder context over the study text that knows the text's topic phrases."""
    import random
    doc = segment(STUDY.read_text(encoding="utf-8"))
    analysis = analyse(doc.passages, get_pipeline(lexicon), lexicon)
    ctx = Context(analysis, lexicon, random.Random(0), " ".join(p.text for p in doc.passages))
    ctx.topic = topic_phrases(doc, analysis, lexicon)
    return ctx


def test_topic_phrases_are_the_title_and_what_most_passages_name(topic_ctx):
    """Northeast China (in the title) and Xi Jinping (in 13 of 16 passages) are the topic; Cai Qi is not."""
    assert {"northeast china", "the northeast", "xi jinping", "xi"} <= topic_ctx.topic
    assert "cai qi" not in topic_ctx.topic and "shenyang" not in topic_ctx.topic


def test_gate_topic_key(topic_ctx):
    """A cloze, short answer or gapped single choice whose key is a topic phrase is rejected; a
    single-choice question is not."""
    gate = GATES["topic_key"]
    assert not gate(Candidate("short_answer", "Who chaired the symposium?", 1, "Xi Jinping",
                              ["Xi Jinping", "Xi"]), topic_ctx)
    assert not gate(Candidate("cloze", "Xi stressed the role of ___ in food security.", 15, "Northeast China",
                              ["Northeast China", "the Northeast"]), topic_ctx)
    assert gate(Candidate("short_answer", "In which year was the previous symposium held?", 5, "2018",
                          ["2018"]), topic_ctx)
    regions = ["the Pearl River Delta", "Central China", "the Yangtze River Delta"]
    assert gate(_sc("Which region?", "Northeast China", regions), topic_ctx)
    assert not gate(_sc("Xi urged ___ to develop clean energy.", "Northeast China", regions), topic_ctx)


def test_gate_copied_sentence(ctx):
    """A true/false statement or gapped stem may copy at most MAX_COPIED_RUN words in a row."""
    whole = ctx.analysis.passages[1].split(". ")[0] + "."
    assert longest_copied_run(whole, ctx.analysis.passages[1]) > MAX_COPIED_RUN
    assert not GATES["copied_sentence"](Candidate("true_false", whole, 1, "true:x"), ctx)
    clause = "Chinese President Xi Jinping chaired a symposium in Harbin."
    assert GATES["copied_sentence"](Candidate("true_false", clause, 1, "true:y"), ctx)
    gapped = whole.replace("Harbin", "___")
    assert longest_copied_run(gapped, ctx.analysis.passages[1]) <= MAX_COPIED_RUN
    assert GATES["copied_sentence"](Candidate("cloze", gapped, 1, "Harbin", ["Harbin"]), ctx)
    assert GATES["copied_sentence"](_sc("In which city was the symposium held?", "Harbin", []), ctx)


def test_true_statements_are_clauses_without_connectives(study, seedlike):
    """Generated statements and gapped stems copy at most MAX_COPIED_RUN words of their passage,
    and drop "also" / "Furthermore"."""
    for result in (study, seedlike):
        passages = {p.number: p.text for p in result.document.passages}
        for item in result.items:
            if item.kind in {"true_false", "cloze"} or "___" in item.stem:
                assert longest_copied_run(item.stem, passages[item.passage]) <= MAX_COPIED_RUN, item.stem
            if item.kind == "true_false":
                assert not re.search(r"\balso\b|^Furthermore", item.stem), item.stem


def test_gate_absolute_distractor(ctx, lexicon):
    """No distractor carries "all", "never", "completely", "only"; nor do the lexicon's measures."""
    gate = GATES["absolute_distractor"]
    mr = Candidate("multiple_response", "Which of the following did Xi call for?", 12, "k",
                   options=[OptionRecord("the development of clean energy", True),
                            OptionRecord("the deepening of SOE reform", True),
                            OptionRecord("the privatization of all state-owned farms", False),
                            OptionRecord("the cutting of agricultural subsidies", False),
                            OptionRecord("the raising of taxes on private firms", False)])
    assert not gate(mr, ctx)
    mr.options[2] = OptionRecord("the privatization of state-owned farms", False)
    assert gate(mr, ctx)
    false = Candidate("true_false", "Xi called for completely new industries.", 11, "false:x",
                      swapped=("future industries", "completely new industries"))
    assert not gate(false, ctx)
    assert not [m for m in lexicon.measures if re.search(r"\b(all|never|completely|only)\b", m.render("verb"))]


def test_gate_lint_distractor_length(ctx):
    """A multiple-response item whose keys are much longer than its distractors is dropped."""
    def mr(keys, distractors):
        return Candidate("multiple_response", "Which of the following did Xi name?", 6, "k",
                         options=[OptionRecord(k, True) for k in keys] + [OptionRecord(d, False) for d in distractors])
    long_keys = ["abundant resources", "solid industrial base",
                 "the strategic weight the region carries in fields such as energy and national defense"]
    assert not GATES["lint_distractor_length"](mr(long_keys, ["mild climate", "low labour costs", "seaports"]), ctx)
    assert GATES["lint_distractor_length"](mr(long_keys[:2], ["mild climate", "low labour costs",
                                                              "booming tourism sector"]), ctx)


def test_gate_lint_distractor_length_clear_margin(ctx):
    """Every key longer than every distractor by a clear margin (or the shortest key more than
    1.3 times the longest distractor): dropped, even when the means are close."""
    def mr(keys, distractors):
        return Candidate("multiple_response", "Which of the following did Xi advocate?", 7, "k",
                         options=[OptionRecord(k, True) for k in keys] + [OptionRecord(d, False) for d in distractors])
    keys = ["the modernization of farms and villages", "the improvement of grain output capacity in the north",
            "the creation of a setting in which farming can prosper"]
    short = ["the expansion of coal exports", "the opening of new ports", "the growth of trade fairs"]
    assert not GATES["lint_distractor_length"](mr(keys, short), ctx)
    mixed = ["the expansion of real estate development", "the construction of new deep-water seaports along the coast",
             "the expansion of cross-border cooperation with neighbouring countries"]
    assert GATES["lint_distractor_length"](mr(keys, mixed), ctx)
    assert not GATES["lint_distractor_length"](mr(["a" * 40, "b" * 45], ["c" * 30, "d" * 30, "e" * 30]), ctx)


def _named_in_explanation(item):
    """Return the part of a choice item's explanation after "it does not mention", or None."""
    m = re.search(r"it does not mention (.+)\.$", item.explanation)
    return m.group(1) if m else None


@pytest.mark.parametrize("which", ["study", "seedlike"])
def test_choice_explanations_name_the_items_own_distractors(which, request):
    """Every option text named after "does not mention" is one of the item's own options (its
    final ones, after repairs and re-picks), and nothing else is named there."""
    result = request.getfixturevalue(which)
    checked = 0
    for item in result.items:
        if item.kind not in {"multiple_response", "single_choice"}:
            continue
        tail = _named_in_explanation(item)
        if tail is None:
            continue
        checked += 1
        distractors = [o.text for o in item.options if not o.is_key]
        rest = tail
        for d in sorted(distractors, key=len, reverse=True):
            assert d in rest, (d, item.explanation)
            rest = rest.replace(f'"{d}"', " ").replace(d, " ", 1)
        assert not re.sub(r"[\s,\"]|\bor\b", "", rest), (rest, item.explanation)
    assert checked


def test_false_statement_must_swap_a_phrase_of_the_cited_passage(ctx):
    """A false statement from invented policy stock ("raise taxes on private firms"), false only by
    omission, is dropped; one swapping a phrase of the cited passage for another of its type,
    with a grammatical explanation, passes."""
    gate = GATES["false_statement_swap"]
    title = "Vice Premier of the State Council"
    n = next(k for k, text in ctx.analysis.passages.items() if title in text)
    passage = ctx.analysis.passages[n]
    st = next(s for s in ctx.analysis.statements if s.passage == n)
    def tf(stem, swapped, explanation):
        explanation = explanation.replace("Passage 2", f"Passage {n}")
        return Candidate("true_false", stem, n, "false:" + stem,
                         options=[OptionRecord("True", False), OptionRecord("False", True)],
                         explanation=explanation, key_type="TITLE", swapped=swapped, statement=st)
    omitted = tf("According to the text, President Xi stressed the need to raise taxes on private firms.",
                 None, "False. Passage 2 says: \"...\" It names achieve growth, not raise taxes on private firms.")
    assert not gate(omitted, ctx)
    measure = tf("According to the text, President Xi stressed the need to raise taxes on private firms.",
                 ("Cai Qi", "raise taxes on private firms"),
                 "False. Passage 2 says: \"...\" Passage 2 names Cai Qi, not raise taxes on private firms.")
    assert not gate(measure, ctx)
    ok = tf("According to the text, Ding Xuexiang was Minister of Commerce.", (title, "Minister of Commerce"),
            f"False. Passage 2 says: \"...\" Passage 2 names Ding Xuexiang as {title}, not Minister of Commerce.")
    assert gate(ok, ctx)
    ungrammatical = tf(ok.stem, ok.swapped, f"False. Passage 2 says: \"...\" It names {title}, not Minister of Commerce.")
    assert not gate(ungrammatical, ctx)
    elsewhere = tf("According to the text, the meeting was held in Dalian.", ("Shenyang", "Dalian"),
                   "False. Passage 2 says: \"...\" Passage 2 names Shenyang, not Dalian.")
    assert "Shenyang" in passage or not gate(elsewhere, ctx)    # the original must be in the cited passage


def test_list_distractors_prefer_theme_swaps_over_measures(study, seedlike):
    """No generated item offers a measure that runs against the speech; and where a list item
    names a grouped theme, a distractor swaps it for another of its group."""
    for result in (study, seedlike):
        for item in result.items:
            for o in item.options:
                assert not re.search(r"relaxation of environmental|cutting of agricultural|taxes on private",
                                     o.text), o.text
            assert "raise taxes" not in item.stem


def test_bank_gate_reused_distractor():
    """An invented distractor of two or more words is used once per bank; real names may recur."""
    bank = Bank({}, in_document=lambda phrase: False)
    first = _sc("Xi urged the Northeast to develop ___.", "clean energy",
                ["imported natural gas", "offshore oil", "coal power"], passage=12)
    assert bank.check(first) is None
    bank.add(first)
    again = _sc("Which energy source did Xi back?", "wind power", ["imported natural gas", "tidal power", "peat"],
                passage=13)
    assert bank.check(again) == "reused_distractor"
    false = Candidate("true_false", "Xi urged the Northeast to develop offshore oil.", 14, "false:x",
                      swapped=("clean energy", "offshore oil"))
    assert bank.check(false) == "reused_distractor"
    names = _sc("Where was it held?", "Harbin", ["Shenyang", "Dalian", "Changchun"], passage=1)
    bank.add(names)
    other = _sc("Which city hosted the 2018 meeting?", "Shenyang", ["Harbin", "Dalian", "Changchun"], passage=5)
    assert bank.check(other) is None


def test_bank_gate_gives_away_other_item():
    """A short answer and a single choice on one passage asking one relation both ways round:
    the second is refused; on another passage, or one-way only, both stay."""
    bank = Bank({})
    post = _sc("According to the text, which post did Cai Qi hold?",
               "Director of the CPC Central Committee's General Office",
               ["Vice Premier of the State Council", "Minister of Finance", "Governor of the People's Bank of China"],
               passage=2)
    bank.add(post)
    who = Candidate("short_answer", "According to the text, who was Director of the CPC Central "
                    "Committee's General Office?", 2, "Cai Qi", ["Cai Qi"])
    assert bank.check(who) == "gives_away_other_item"
    who.passage = 3
    assert bank.check(who) is None
    when = Candidate("short_answer", "On what date did Cai Qi attend?", 2, "7 September", ["7 September"])
    assert bank.check(when) is None


def test_bank_gate_weaker_item_repeating_a_kept_one_is_dropped():
    """A cloze, true/false or gapped single choice whose stem shows the key of a kept item on
    its passage (any key of a multiple response), whose key is such a key, or whose key a kept
    stem shows, is refused; on another passage, or without shared keys, it stays."""
    bank = Bank({}, topic={"northeast china", "xi jinping", "xi"})
    where = _sc("In which city was the previous symposium held?", "Shenyang", ["Harbin", "Dalian", "Changchun"],
                passage=5)
    bank.add(where)
    asked = Candidate("multiple_response", "Which of the following did Xi urge?", 9, "k",
                      options=[OptionRecord("the increase of added value", True),
                               OptionRecord("the expansion of industrial chains", True),
                               OptionRecord("the reduction of grain targets", False)])
    bank.add(asked)
    tf = Candidate("true_false", "Xi urged the increase of added value.", 9, "true:x",
                   options=[OptionRecord("True", True), OptionRecord("False", False)])
    assert bank.check(tf) == "gives_away_other_item"
    cloze = Candidate("cloze", "The previous symposium was held in Shenyang in ___.", 5, "2018", ["2018"])
    assert bank.check(cloze) == "gives_away_other_item"
    false = Candidate("true_false", "The previous symposium was held in Dalian.", 5, "false:y",
                      swapped=("Shenyang", "Dalian"))
    assert bank.check(false) is None     # a false statement shows no key: it may ask a fact again
    shows = Candidate("true_false", "The previous symposium in Shenyang was held in 2016.", 5, "false:v",
                      swapped=("2018", "2016"))
    assert bank.check(shows) == "gives_away_other_item"     # ... but its other words must not show one
    bank.add(false)
    again = Candidate("true_false", "The previous symposium took place in Changchun.", 5, "false:u",
                      swapped=("Shenyang", "Changchun"))
    assert bank.check(again) == "duplicate_passage_key"     # one false statement per phrase
    same_key = Candidate("cloze", "The last such meeting took place in ___.", 5, "Shenyang", ["Shenyang"])
    assert bank.check(same_key) in {"gives_away_other_item", "duplicate_passage_key"}
    bank.add(Candidate("cloze", "Xi set out ___ moves for the region's industries.", 9, "three", ["three"]))
    shows_it = _sc("Of the three moves, one is that ___ should be extended.", "industrial chains",
                   ["supply lines", "trade routes", "rail links"], passage=9)
    shows_it.rule = "copy.choice.theme"
    assert bank.check(shows_it) == "gives_away_other_item"
    question = _sc("Which of the three moves concerns chains?", "industrial chains",
                   ["supply lines", "trade routes", "rail links"], passage=9)
    assert bank.check(question) is None          # a question is not a weaker copy
    tf.passage = 10
    assert bank.check(tf) is None
    topic = Candidate("true_false", "Xi stressed the role of Northeast China in food security.", 5, "true:z",
                      options=[OptionRecord("True", True), OptionRecord("False", False)])
    bank.add(_sc("Which region did Xi name?", "Northeast China", ["Central China", "South China", "East China"],
                 passage=5))
    assert bank.check(topic) is None             # the topic is in nearly every stem: not a give-away
    bank.add(Candidate("cloze", "Using technological progress to drive innovation and building a ___ were named "
                       "as key approaches.", 8, "modern industrial system", ["modern industrial system"]))
    restated = Candidate("true_false", "Using technological progress to drive innovation was named as a key "
                         "approach.", 8, "true:w", options=[OptionRecord("True", True), OptionRecord("False", False)])
    assert bank.check(restated) == "gives_away_other_item"   # the kept stem already says it


def test_gate_general_knowledge(ctx):
    """"In which province is Harbin?" (geography) and a cloze blanking the Party in a generic
    phrase are refused; "Harbin is the capital of which province?" (a fact the text states) is not."""
    gate = GATES["general_knowledge"]
    provinces = ["Jilin", "Liaoning", "Inner Mongolia"]
    where = _sc("According to the text, in which province is Harbin?", "Heilongjiang", provinces)
    where.rule = "city.province"
    assert not gate(where, ctx)
    capital = _sc("According to the text, Harbin is the capital of which province?", "Heilongjiang", provinces)
    capital.rule = "city.province"
    assert gate(capital, ctx)
    party = Candidate("cloze", "Xi stressed implementing the ___'s deployment on revitalization.", 2,
                      "Communist Party of China", ["Communist Party of China", "CPC"], key_type="ORG")
    assert not gate(party, ctx)
    office = Candidate("cloze", "Cai Qi is Director of the General Office of the ___.", 3, "CPC Central Committee",
                       ["CPC Central Committee"], key_type="ORG")
    assert gate(office, ctx)


def test_gate_false_statement_fair(ctx):
    """A false statement swapping in a phrase the text uses elsewhere with the same head word
    ("sustainable revitalization"), or one spelled nearly like the original ("Northwest China"),
    is refused; a name the text gives someone else, or a clear swap, is not."""
    gate = GATES["false_statement_fair"]

    def false(stem, original, replacement, type_):
        return Candidate("true_false", stem, 7, "false:" + stem, swapped=(original, replacement), key_type=type_)
    assert not gate(false("Xi said the sustainable revitalization of the Northeast has new opportunities.",
                          "comprehensive revitalization", "sustainable revitalization", "THEME"), ctx)
    assert not gate(false("Xi looked back on the revitalization of Northwest China.", "Northeast China",
                          "Northwest China", "REGION"), ctx)
    assert gate(false("Xi urged the Northeast to develop offshore oil.", "clean energy", "offshore oil", "THEME"),
                ctx)
    assert gate(false("Cai Qi took part as Vice Premier of the State Council.",
                      "Director of the CPC Central Committee's General Office", "Vice Premier of the State Council",
                      "TITLE"), ctx)


def test_cloze_never_blanks_the_topic_or_a_slogan_tail(study, seedlike, lexicon):
    """No cloze key is a topic phrase, and no blank follows "the importance of" / "the need to"."""
    for result in (study, seedlike):
        analysis = analyse(result.document.passages, get_pipeline(lexicon), lexicon)
        topic = topic_phrases(result.document, analysis, lexicon)
        assert "xi jinping" in topic
        for item in result.items:
            if item.kind == "cloze":
                assert not re.search(r"\b(?:importance|need)\s+(?:of|to)\s+(?:the\s+)?___", item.stem), item.stem
                assert not {normalise_answer(a) for a in item.answers[0]} & topic, item.stem


# -- small helpers ----------------------------------------------------------------------------

def test_date_forms_and_gerunds():
    """Dates are accepted in the usual spellings; gerunds follow English spelling."""
    assert {"September 7th", "7 September", "September 7"} <= set(date_forms("September 7th"))
    assert "7 September 2023" in date_forms("September 7, 2023")
    assert [gerund(v) for v in ("cut", "open", "relocate", "expand", "tie")] == \
        ["cutting", "opening", "relocating", "expanding", "tying"]


def test_lexicon_file_is_well_formed_and_bad_ones_are_refused(lexicon):
    """The shipped lexicon has the Northeast's provinces and people with their types."""
    assert lexicon.lookup("heilongjiang").type == "PROVINCE"
    assert lexicon.lookup("President Xi").name == "Xi Jinping"
    assert {e.name for e in lexicon.of_type("PROVINCE")} >= {"Liaoning", "Jilin", "Heilongjiang", "Inner Mongolia"}
    with pytest.raises(ValueError, match="entities"):
        parse_lexicon({"persons": []})
    with pytest.raises(ValueError, match="without a name"):
        parse_lexicon({"entities": {"CITY": [{"aliases": ["x"]}]}})


def test_shipped_bank_is_the_reviewed_generator_output(study):
    """The shipped symposium bank is the generator's output on the study text, reviewed: each
    item marked generated is a generated item as it came out (same id, kind, passage and keys),
    each edited one descends from a generated item (its id), and the rest are authored."""
    from studyapp.interchange.bankfile import read_bank_file
    from tests.conftest import SYMPOSIUM_BANK

    def keys(item):
        return ([o.text for o in item.options if o.is_key], item.answers)

    bank = read_bank_file(SYMPOSIUM_BANK)
    made = {i.ext_id: i for i in study.items}
    origins = {i.origin for i in bank.items}
    assert origins == {"generated", "edited", "authored"}
    generated = [i for i in bank.items if i.origin == "generated"]
    assert len(generated) >= 30 and {i.kind for i in generated} == KINDS
    for item in generated:
        assert item.ext_id in made, item.stem
        twin = made[item.ext_id]
        assert (item.kind, item.passage, keys(item)) == (twin.kind, twin.passage, keys(twin)), item.stem
    for item in bank.items:
        if item.origin == "edited":
            assert item.ext_id in made
        elif item.origin == "authored":
            assert not item.ext_id.startswith("gen-")
    assert all(i.status == "published" for i in bank.items)

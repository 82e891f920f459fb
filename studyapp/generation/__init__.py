"""Text -> passages -> candidate items. No Flask imports: pure functions over dataclasses.

Public interface (used by the CLI and the teach blueprint)::

    result = generate(text, title="...", slug="...", seed=0, max_items=None)
    result.document   # interchange.records.DocumentRecord: numbered passages
    result.items      # list[interchange.records.ItemRecord]: status "draft", origin "generated",
                      #   each with .passage set and a stable ext_id derived from (passage, kind, key)
    result.report     # GenerationReport: per kind, generated / rejected by each gate / kept

    text = read_source(data: bytes, filename: str)   # .txt, .md, .html -> plain text

Errors: ``GenerationInputError`` (empty text, binary or non-UTF-8 data, no usable
sentence, over ``MAX_SOURCE_BYTES``) with a message a person understands.

Modules: ``source`` (reading files), ``segment`` (passages), ``nlp`` (the spaCy pipeline),
``lexicon`` (the domain lexicon), ``extract`` (statements, mentions, lists), ``build``
(candidates and distractors), ``gates`` (quality gates and bank lint), ``report``.
"""
from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field

from ..interchange.records import DocumentRecord, ItemRecord
from .build import KIND_STRENGTH, KINDS, Candidate, Context, copy_candidates, list_candidates, list_gap_candidates, \
    template_candidates
from .extract import analyse
from .gates import BANK_GATES, ITEM_GATES, Bank, ext_id, lint, repick_reused, to_bank_mapping, to_record
from .lexicon import Lexicon, load_lexicon
from .nlp import get_pipeline
from .report import GenerationReport
from .segment import split_passages
from .source import MAX_SOURCE_BYTES, GenerationInputError, read_source
from .text import SMART_QUOTES, contains_phrase, norm

__all__ = ["MAX_SOURCE_BYTES", "GenerationInputError", "GenerationReport", "GenerationResult", "Lexicon",
           "bank_title", "generate", "load_lexicon", "read_source", "segment", "ext_id", "to_bank_mapping"]

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass
class GenerationResult:
    """What :func:`generate` returns.

    Attributes:
        document: the source as numbered passages.
        items: the kept draft items, in passage order.
        report: counts per kind and gate, and the bank lint.
    """

    document: DocumentRecord
    items: list[ItemRecord] = field(default_factory=list)
    report: GenerationReport = field(default_factory=GenerationReport)


def _slugify(title: str) -> str:
    slug = _SLUG_CHARS.sub("-", title.lower()).strip("-")[:60].strip("-")
    return slug if len(slug) >= 2 else "source"


UNTITLED = "Untitled source"


def bank_title(document: DocumentRecord, slug: str) -> str:
    """Return a title for a bank made from ``document``: its own title (front matter or first
    heading), else ``slug``."""
    return document.title if document.title and document.title != UNTITLED else slug


def segment(text: str, *, title: str = "", slug: str = "") -> DocumentRecord:
    """Split ``text`` into a :class:`DocumentRecord` of numbered passages (paragraphs).

    Front matter, when present, gives title and slug unless they are passed explicitly.

    Raises:
        GenerationInputError: empty text, bad front matter, or no passage.
    """
    if not text or not text.strip():
        raise GenerationInputError("The text is empty (or contains only white space).")
    meta, passages = split_passages(text.translate(SMART_QUOTES))
    if not passages:
        raise GenerationInputError("The text has no paragraph to ask about (only headings or dates).")
    title = (title or meta.get("title") or UNTITLED).strip()
    return DocumentRecord(slug=slug or meta.get("slug") or _slugify(title), title=title,
                          summary=meta.get("summary", ""), based_on=meta.get("based_on", ""),
                          passages=passages)


def generate(text: str, *, title: str = "", slug: str = "", seed: int = 0, max_items: int | None = None,
             lexicon: Lexicon | None = None) -> GenerationResult:
    """Generate draft items from a source text.

    Args:
        text: plain text or Markdown (with optional YAML front matter); see :func:`read_source`.
        title: the document's title (default: front matter, else the first heading).
        slug: the document's slug (default: front matter, else made from the title).
        seed: seeds the random choices (distractors, option order, kind balance); the same
            text, seed and lexicon always give the same items.
        max_items: keep at most this many items, balanced across kinds (None: all).
        lexicon: the domain lexicon (default ``questions/lexicon.yaml``).
    Returns:
        The document, the kept items (status "draft", origin "generated") and the report.
    Raises:
        GenerationInputError: empty text, or no usable sentence.
    """
    started = time.perf_counter()
    document = segment(text, title=title, slug=slug)
    lexicon = lexicon or load_lexicon()
    nlp = get_pipeline(lexicon)
    analysis = analyse(document.passages, nlp, lexicon)
    if not analysis.statements:
        raise GenerationInputError("The text has no usable sentence (each needs at least five words).")
    headings = " ".join(sorted({p.heading for p in document.passages if p.heading}))
    analysis.years.update(re.findall(r"\b(?:1[89]|20)\d\d\b", headings))
    rng = random.Random(seed)  # nosec B311 # seeded on purpose: the same text and seed give the same items
    ctx = Context(analysis, lexicon, rng, " ".join(p.text for p in document.passages))

    frequency: dict[str, int] = {}
    for words in analysis.content:
        for w in words:
            frequency[w] = frequency.get(w, 0) + 1
    ctx.topic = topic_phrases(document, analysis, lexicon)
    bank = Bank(frequency, in_document=ctx.in_document, topic=ctx.topic)
    report = GenerationReport(gates=[name for name, _ in ITEM_GATES] + list(BANK_GATES))
    kept_count = {k: 0 for k in KINDS}

    def consider(c: Candidate) -> bool:
        report.count_generated(c.kind)
        for name, gate in ITEM_GATES:
            if not gate(c, ctx):
                report.count_rejected(c.kind, name)
                return False
        repick_reused(c, bank, ctx)
        failed = bank.check(c)
        if failed:
            report.count_rejected(c.kind, failed)
            return False
        bank.add(c)
        kept_count[c.kind] += 1
        if c.kind == "true_false":
            ctx.truth_kept[c.key.startswith("true:")] += 1
        return True

    copy_order = ["cloze", "true_false", "single_choice", "multiple_response"]
    # Candidates are tried passage by passage, strongest kind first: a true/false statement or
    # a cloze that repeats (or shows the key of) an item already kept is dropped by the bank
    # (``gives_away_other_item``), so the stronger item must be kept before it is tried.
    by_passage: dict[int, list] = {}
    for index, st in enumerate(analysis.statements):
        by_passage.setdefault(st.passage, []).append((index, st))
    for group in by_passage.values():
        statements_first = [c for _, st in group for c in template_candidates(st, ctx) + list_candidates(st, ctx)]
        late: list[Candidate] = [c for c in statements_first if c.kind == "true_false"]
        for c in sorted((c for c in statements_first if c.kind != "true_false"),
                        key=lambda c: KIND_STRENGTH[c.kind]):
            consider(c)
        for index, st in group:
            copies = copy_candidates(st, ctx)
            copies["multiple_response"] = list_gap_candidates(st, ctx)
            if not ctx.want_true():     # balance true and false statements: falses first
                copies["true_false"].sort(key=lambda c: c.key.startswith("true:"))
            late += copies.pop("true_false")
            # Copies of one statement are near-duplicates of each other: the first that passes
            # wins, so try the kinds the bank has fewest of first (ties: a rotation by position).
            # Prefer copies whose keys the bank does not have yet (more new keys first).
            # True/false statements, the weakest kind, come last (after the whole passage).
            order = [k for k in copy_order if k in copies]
            rotation = {k: (i + index) % len(order) for i, k in enumerate(order)}
            kind_rank = {k: r for r, k in enumerate(sorted(order, key=lambda k: (kept_count[k], rotation[k])))}
            ordered = [c for k in order for c in copies[k]]
            # (a topic phrase as key is never new: nearly every stem gives it away)
            ordered.sort(key=lambda c: (-(0 if ctx.is_topic(c.key) else bank.novelty(c)), kind_rank[c.kind]))
            for c in ordered:
                consider(c)
        for c in late:
            consider(c)

    # back in passage order (statement by statement, as tried within one statement)
    position = {id(c): i for i, c in enumerate(bank.items)}
    kept = sorted(bank.items, key=lambda c: (c.passage, c.statement.order if c.statement is not None else -1,
                                             position[id(c)]))
    share, messages = lint(kept, ctx)
    if max_items is not None and len(kept) > max_items:
        kept = _balanced(kept, max_items)
    items = [to_record(c) for c in kept]
    report.finish(items, share, messages, bank.near_pairs, passages=len(document.passages),
                  statements=len(analysis.statements),
                  words=sum(len(p.text.split()) for p in document.passages),
                  seconds=time.perf_counter() - started)
    return GenerationResult(document, items, report)


def topic_phrases(document: DocumentRecord, analysis, lexicon: Lexicon) -> set[str]:
    """Return the normalised forms of the document's topic phrases: entities (not dates or
    numbers) named in the title, or in at least half of the passages (of four or more).

    A topic phrase as the key of a cloze or short-answer item makes a trivial item: nearly
    every stem, and the title, name it.
    """
    where: dict[tuple[str, str], set[int]] = {}
    surfaces: dict[tuple[str, str], set[str]] = {}
    for st in analysis.statements:
        for m in st.mentions:
            if m.type in {"DATE", "YEAR", "NUMBER"}:
                continue
            where.setdefault((m.type, m.name), set()).add(st.passage)
            surfaces.setdefault((m.type, m.name), set()).add(m.text)
    many = len(document.passages)
    topic: set[str] = set()
    for (type_, name), passages in where.items():
        entry = lexicon.lookup(name)
        forms = {name} | surfaces[(type_, name)] | (set(entry.forms) if entry else set())
        in_title = any(contains_phrase(document.title, f) for f in forms if len(norm(f)) > 3)
        if in_title or (many >= 4 and len(passages) * 2 >= many):
            topic |= {norm(f) for f in forms}
    topic |= {re.sub(r"^the ", "", f) for f in topic}
    return topic


def _balanced(items: list[Candidate], limit: int) -> list[Candidate]:
    """Return ``limit`` items taken round-robin across kinds, in passage order."""
    by_kind = {k: [c for c in items if c.kind == k] for k in KINDS}
    chosen: list[Candidate] = []
    while len(chosen) < limit and any(by_kind.values()):
        for k in KINDS:
            if by_kind[k] and len(chosen) < limit:
                chosen.append(by_kind[k].pop(0))
    order = {id(c): i for i, c in enumerate(items)}
    return sorted(chosen, key=lambda c: order[id(c)])

"""Write neutral records to the database: the one place that does so.

Loading is idempotent: loading the same records twice changes nothing, and a
changed item is updated in place (its row id, and so its attempts and
statistics, are kept). An item that learners have met in attempts may change its
wording, explanation, passage and status, but not its kind, options, keys or accepted answers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..locking import lock_row
from ..versioning import ItemContent, new_version

from ..extensions import db
from ..models import AcceptedAnswer, AttemptItem, Bank, Document, Option, Passage, Question
from .records import CARRIED, BankRecord, DocumentRecord, ItemRecord, OptionRecord, PassageRecord


class StoreError(ValueError):
    """Records that cannot be written without losing data (nothing was written)."""


@dataclass
class LoadReport:
    """What a load did. Counts of items; ``unlisted`` are items of the bank not in the file."""

    bank_slug: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    passages_changed: int = 0

    @property
    def changed(self) -> bool:
        """True if anything was written."""
        return bool(self.created or self.updated or self.passages_changed)

    def summary(self) -> str:
        """One line such as ``bank x: 3 created, 1 updated, 40 unchanged``."""
        text = (f"bank {self.bank_slug}: {len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {self.passages_changed} passages written")
        if self.unlisted:
            text += f"; {len(self.unlisted)} items in the bank are not in the file (left as they are)"
        return text


def bank_exists(slug: str) -> bool:
    """Return True if a bank with ``slug`` is in the database."""
    return db.session.scalar(select(Bank.id).where(Bank.slug == slug)) is not None


def _store_document(record: DocumentRecord, report: LoadReport) -> Document:
    doc = db.session.scalar(
        select(Document).where(Document.slug == record.slug).options(selectinload(Document.passages))
    )
    if doc is None:
        doc = Document(slug=record.slug, title=record.title)
        db.session.add(doc)
    doc.title, doc.summary, doc.based_on = record.title, record.summary, record.based_on
    existing = {p.number: p for p in doc.passages}
    for rec in record.passages:
        passage = existing.get(rec.number)
        if passage is None:
            doc.passages.append(Passage(number=rec.number, text=rec.text, heading=rec.heading))
            report.passages_changed += 1
        elif (passage.text, passage.heading) != (rec.text, rec.heading):
            passage.text, passage.heading = rec.text, rec.heading
            report.passages_changed += 1
    for number, passage in existing.items():
        if number > len(record.passages):
            doc.passages.remove(passage)
            report.passages_changed += 1
    db.session.flush()
    return doc


def _item_state(item: Question) -> tuple:
    return (
        item.kind, item.stem, item.explanation, item.status, item.origin,
        item.passage.number if item.passage else None,
        tuple((o.text, o.is_key) for o in item.options),
        tuple((a.gap, a.text) for a in item.accepted_answers),
        tuple(o.feedback or "" for o in item.options),
    )


def _record_state(rec: ItemRecord) -> tuple:
    return (
        rec.kind, rec.stem, rec.explanation, rec.status, rec.origin, rec.passage,
        tuple((o.text, o.is_key) for o in rec.options),
        tuple((gap, text) for gap, answers in enumerate(rec.answers) for text in answers),
        tuple(o.feedback for o in rec.options),
    )


def _content_state(item: Question) -> tuple:
    """What a version fixes (``versioning.ItemContent``): all but status, origin and the
    order of options (each attempt fixes its own order)."""
    state = _item_state(item)
    return state[:3] + (state[5], tuple(sorted(state[6])), tuple(sorted(state[7])))


def _content_record(rec: ItemRecord) -> tuple:
    state = _record_state(rec)
    return state[:3] + (state[5], tuple(sorted(state[6])), tuple(sorted(state[7])))


def _apply(item: Question, rec: ItemRecord, passages: dict[int, Passage], used: bool) -> None:
    """Copy ``rec`` onto ``item``.

    Options are matched by text, so an option keeps its row (and the responses that chose
    it) when options are reordered or others are added.

    Raises:
        StoreError: ``used`` (the item is in attempts) and its kind, options or keys would
            change, which would rewrite what past results show.
    """
    wanted = [(o.text, o.is_key) for o in rec.options]
    answers = [(gap, text) for gap, texts in enumerate(rec.answers) for text in texts]
    if used and (item.kind != rec.kind
                 or sorted((o.text, o.is_key) for o in item.options) != sorted(wanted)
                 or sorted((a.gap, a.text) for a in item.accepted_answers) != sorted(answers)):
        raise StoreError(
            f"item {rec.ext_id} is in learners' attempts, so its kind, options, keys and accepted "
            "answers cannot change (that would rewrite their results); retire it and add the new "
            "version under a new id (nothing was written)"
        )
    item.kind, item.stem, item.explanation = rec.kind, rec.stem, rec.explanation
    item.status, item.origin = rec.status, rec.origin
    item.passage = passages.get(rec.passage) if rec.passage else None
    by_text = {o.text: o for o in item.options}
    options = []
    for position, (text, is_key) in enumerate(wanted):
        option = by_text.pop(text, None) or Option(text=text)
        option.is_key, option.position = is_key, position
        option.feedback = rec.options[position].feedback
        options.append(option)
    item.options = options  # options no longer listed are deleted (delete-orphan)
    if [(a.gap, a.text) for a in item.accepted_answers] != answers:
        item.accepted_answers = [AcceptedAnswer(gap=g, text=t) for g, t in answers]


def store_bank(record: BankRecord, *, dry_run: bool = False) -> LoadReport:
    """Create or update a bank, its document and its items, in one transaction.

    Args:
        record: the bank as read by a parser.
        dry_run: do everything, then roll back: the report says what would be written.
    Returns:
        What was created, updated and left unchanged (by item ext_id).
    Raises:
        StoreError: when the change would delete data that attempts refer to, or an item
            cites a passage the bank's document does not have (nothing is written; the
            session is rolled back).
    """
    report = LoadReport(bank_slug=record.slug)
    try:
        passages: dict[int, Passage] = {}
        doc = None
        if record.document:
            doc = _store_document(record.document, report)
            passages = {p.number: p for p in doc.passages}
        bank = db.session.scalar(select(Bank.id).where(Bank.slug == record.slug))
        if bank is not None:
            # one load or import of a bank at a time: a second one (a double-clicked Import)
            # waits, then finds the items the first wrote and changes nothing
            lock_row(Bank, bank)
            db.session.expire_all()
        bank = db.session.scalar(select(Bank).where(Bank.slug == record.slug))
        if bank is None:
            bank = Bank(slug=record.slug, title=record.title)
            db.session.add(bank)
        bank.title, bank.description = record.title, record.description
        if doc is not None:
            bank.document = doc
        elif bank.document is not None:
            # items imported into a bank with a study text cite its passages by number
            passages = {p.number: p for p in bank.document.passages}
        db.session.flush()
        items = {
            q.ext_id: q for q in db.session.scalars(
                select(Question).where(Question.bank_id == bank.id, Question.superseded_by_id.is_(None)).options(
                    selectinload(Question.options), selectinload(Question.accepted_answers),
                    selectinload(Question.passage),
                )
            )
        }
        used = set(db.session.scalars(
            select(AttemptItem.item_id).join(Question, Question.id == AttemptItem.item_id)
            .where(Question.bank_id == bank.id).distinct()
        ))
        for rec in record.items:
            if rec.passage is not None and rec.passage not in passages:
                raise StoreError(
                    f"item {rec.ext_id} cites passage {rec.passage}, but "
                    + (f"the bank's source text has {len(passages)} passage(s)" if passages
                       else "the bank has no source text") + " (nothing was written)")
            item = items.pop(rec.ext_id, None)
            if item is None:
                item = Question(bank=bank, ext_id=rec.ext_id)
                db.session.add(item)
                _apply(item, rec, passages, used=False)
                report.created.append(rec.ext_id)
            elif _item_state(item) != _record_state(rec):
                if item.id in used and _content_state(item) != _content_record(rec):
                    # learners met this item: a new version, the old one stays as it was asked
                    new = new_version(item, ItemContent(
                        rec.kind, rec.stem, rec.explanation,
                        passages[rec.passage].id if rec.passage and rec.passage in passages else None,
                        [(o.text, o.is_key) for o in rec.options],
                        [(g, t) for g, texts in enumerate(rec.answers) for t in texts],
                        {o.text: o.feedback for o in rec.options if o.feedback}),
                        status=rec.status, origin=rec.origin)
                    report.updated.append(f"{rec.ext_id} (version {new.version})")
                else:
                    _apply(item, rec, passages, used=item.id in used)
                    report.updated.append(rec.ext_id)
            else:
                report.unchanged.append(rec.ext_id)
        report.unlisted = sorted(items)
        db.session.flush()
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        from sqlalchemy.exc import IntegrityError
        if isinstance(exc, IntegrityError) and "unique" in str(exc.orig).lower():
            raise StoreError(
                f"another load or import wrote bank {record.slug} at the same moment; nothing of this one "
                "was written: look at the bank, then import again if anything is missing"
            ) from None
        if isinstance(exc, IntegrityError):
            raise StoreError(
                "the change would remove options or passages that existing attempts refer to; "
                "retire the item and add a new one instead (nothing was written)"
            ) from None
        raise
    return report


@dataclass
class DraftReport:
    """What :func:`store_drafts` did: ext_ids of drafts added, and of items already in the bank."""

    bank_slug: str
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line such as ``bank x: 12 drafts added, 3 already in the bank``."""
        return (f"bank {self.bank_slug}: {len(self.added)} drafts added, "
                f"{len(self.already_there)} already in the bank (not changed)")


def store_drafts(bank_slug: str, bank_title: str, document: DocumentRecord, items: list[ItemRecord]) -> DraftReport:
    """Add generated items to a bank as drafts, in one transaction.

    Only items whose ext_id is not in the bank yet are added, whatever the status of the
    one there (an approved, edited or rejected item is never brought back), so generating
    again from the same text adds no duplicates. The bank is created if needed; its
    document must be ``document`` (same slug and passages) or none yet.

    Args:
        bank_slug, bank_title: the bank (title used only when it is created).
        document: the source the items cite.
        items: generated items (their ``status`` is forced to draft).
    Returns:
        What was added and what was already there.
    Raises:
        StoreError: the bank cites another document, or a document with this slug has other
            passages (nothing is written).
    """
    report = DraftReport(bank_slug=bank_slug)
    try:
        existing_doc = db.session.scalar(
            select(Document).where(Document.slug == document.slug).options(selectinload(Document.passages)))
        if existing_doc is not None and [(p.number, p.text) for p in existing_doc.passages] != \
                [(p.number, p.text) for p in document.passages]:
            raise StoreError(f"a different text is stored under the name {document.slug!r}; "
                             "give this text another name (nothing was written)")
        doc = existing_doc or _store_document(document, LoadReport(bank_slug))
        bank = db.session.scalar(select(Bank).where(Bank.slug == bank_slug))
        if bank is None:
            bank = Bank(slug=bank_slug, title=bank_title, document=doc)
            db.session.add(bank)
        elif bank.document_id not in (None, doc.id):
            raise StoreError(f"bank {bank_slug} is on another source document; a bank has one source "
                             "(nothing was written)")
        bank.document = doc
        db.session.flush()
        present = set(db.session.scalars(select(Question.ext_id).where(Question.bank_id == bank.id)))
        passages = {p.number: p for p in doc.passages}
        for rec in items:
            if rec.ext_id in present:
                report.already_there.append(rec.ext_id)
                continue
            rec.status = "draft"
            item = Question(bank=bank, ext_id=rec.ext_id)
            db.session.add(item)
            _apply(item, rec, passages, used=False)
            present.add(rec.ext_id)
            report.added.append(rec.ext_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def import_items(bank_slug: str, items: list[ItemRecord], *, document: DocumentRecord | None = None,
                 title: str = "", description: str = "", carries: frozenset[str] = CARRIED,
                 new_status: str | None = None, dry_run: bool = False) -> LoadReport:
    """Import items from a file into a bank (created if needed), in one transaction.

    The bank keeps its title and description; a new bank takes ``title`` (else the slug) and
    ``description``. Items are matched by ext_id: new ones are created, changed ones updated
    (a new version if learners have met them), the others left alone; items of the bank that
    the file does not list stay as they are.

    Args:
        bank_slug: the bank to import into.
        items: the parsed items.
        document: the study text the file carries, or None. A bank with no study text takes it;
            a bank whose study text has other passages refuses the file.
        title, description: for a new bank.
        carries: the fields of :data:`CARRIED` that the file's format carries; an item already in
            the bank keeps its own values of the others (a GIFT file has no passages: importing
            it back must not drop the items' citations). Without ``ext_id`` (Aiken), an item is
            the bank's item with the same kind, stem and option texts, if there is one.
        new_status: if given ("draft" or "published"), the status of the items the bank does not
            have yet, whatever the file says (e.g. drafts, to review before learners see them).
        dry_run: roll back at the end (the report says what an import would do).
    Returns:
        The load report (created, updated, unchanged ext_ids).
    Raises:
        StoreError: the study texts differ, an item cites a passage that is not there, or the
            change would rewrite learners' results (nothing is written).
    """
    bank = db.session.scalar(select(Bank).where(Bank.slug == bank_slug))
    if document is not None:
        mine = bank.document if bank is not None else None
        same_slug = db.session.scalar(select(Document).where(Document.slug == document.slug))
        theirs = [(p.number, p.text) for p in document.passages]
        for existing in (mine, same_slug):
            if existing is not None and [(p.number, p.text) for p in existing.passages] != theirs:
                where = (f"bank {bank_slug} cites the text {existing.slug!r}" if existing is mine
                         else f"a different text is stored under the name {document.slug!r}")
                raise StoreError(f"the file carries its own source text, but {where}, whose passages "
                                 "differ: its passage numbers would point at the wrong passages "
                                 "(nothing was written)")
        if mine is not None:
            document = None  # the same text: nothing to write
        elif same_slug is not None:
            # the text is stored already (another bank cites it): use it as it is stored; the
            # file's title, summary or headings must not rewrite what the other banks show
            document = DocumentRecord(
                slug=same_slug.slug, title=same_slug.title, summary=same_slug.summary or "",
                based_on=same_slug.based_on or "",
                passages=[PassageRecord(p.number, p.text, p.heading or "") for p in same_slug.passages])
    if bank is not None and carries != CARRIED:
        mine = bank_records(bank)
        current = {r.ext_id: r for r in mine}
        if "ext_id" not in carries:
            by_content = {(r.kind, r.stem, tuple(o.text for o in r.options)): r.ext_id for r in mine}
            taken = {rec.ext_id for rec in items}
            for rec in items:
                found = by_content.pop((rec.kind, rec.stem, tuple(o.text for o in rec.options)), None)
                if found is not None and found not in taken:
                    taken.discard(rec.ext_id)
                    rec.ext_id = found
                    taken.add(found)
        for rec in items:
            old = current.get(rec.ext_id)
            for name in (CARRIED - carries - {"ext_id", "feedback"}) if old is not None else ():
                setattr(rec, name, getattr(old, name))
            if old is not None and "feedback" not in carries:
                kept = {o.text: o.feedback for o in old.options}
                for option in rec.options:
                    option.feedback = kept.get(option.text, "")
    if new_status is not None:
        present = set(db.session.scalars(select(Question.ext_id).where(Question.bank_id == bank.id))) if bank else set()
        for rec in items:
            if rec.ext_id not in present and rec.status == "published":
                rec.status = new_status  # a retired item stays retired
    record = BankRecord(slug=bank_slug, title=bank.title if bank else (title.strip() or bank_slug),
                        description=bank.description if bank else description, document=document,
                        items=items)
    return store_bank(record, dry_run=dry_run)


def bank_record(bank: Bank) -> BankRecord:
    """Return the bank, its study text and its current items as neutral records (for exports)."""
    doc = None
    if bank.document is not None:
        d = bank.document
        doc = DocumentRecord(slug=d.slug, title=d.title, summary=d.summary or "", based_on=d.based_on or "",
                             passages=[PassageRecord(p.number, p.text, p.heading or "") for p in d.passages])
    return BankRecord(slug=bank.slug, title=bank.title, description=bank.description or "", document=doc,
                      items=bank_records(bank))


def bank_records(bank: Bank) -> list[ItemRecord]:
    """Return the bank's current items (the latest version of each) as neutral records, by id,
    for the exporters. Three queries."""
    items = db.session.scalars(
        select(Question).where(Question.bank_id == bank.id, Question.superseded_by_id.is_(None))
        .options(selectinload(Question.options), selectinload(Question.accepted_answers),
                 selectinload(Question.passage)).order_by(Question.id))
    out = []
    for q in items:
        answers: list[list[str]] = []
        for a in q.accepted_answers:
            while len(answers) <= a.gap:
                answers.append([])
            answers[a.gap].append(a.text)
        out.append(ItemRecord(
            ext_id=q.ext_id, kind=q.kind, stem=q.stem, explanation=q.explanation,
            options=[OptionRecord(o.text, o.is_key, o.feedback or "") for o in q.options] if q.kind != "short_answer" and
            q.kind != "cloze" else [], answers=answers, passage=q.passage.number if q.passage else None,
            status=q.status, origin=q.origin))
    return out

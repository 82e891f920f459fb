"""Stored XSS: every text a learner or an instructor can write is shown as text, never as markup.

Each writable field gets its own payload ``P(n)``: a script element, an attribute break-out
with an ``onerror`` image, and a ``javascript:`` URL, numbered so that each page can be checked
for the fields it shows. The payloads go in through the real forms and the import file (not
through the database), then every page that shows them is fetched and parsed:

- no payload survives as markup: no ``<script>`` holding ``alert(``, no event-handler attribute
  with ``alert(``, no ``<img src=x>``, no ``javascript:alert(`` URL attribute, and the raw
  ``<script>alert(`` / ``<img src=x`` never appear in the source at all;
- each payload the page is meant to show appears in its text (escaped in the source, so that
  the parser reads it back as text): the check is not passed by a page that shows nothing.

Report comments are sanitised when stored (``studyapp.reports.plain_text``): the page shows
what is left of the payload, as text.
"""
from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

from sqlalchemy import select

from studyapp.models import Attempt, AttemptItem, AttemptOption, Bank, Document, ItemReport, Question, User
from studyapp.reports import plain_text

from .conftest import PASSWORD


def P(n: int) -> str:
    """The payload of field ``n`` (at most 80 characters: it must fit a display name)."""
    return f'<script>alert({n})</script>"><img src=x onerror=alert({n})>javascript:alert({n})'


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}

NAME, ADMIN_NAME = 11, 12                       # display names: registered, and set by an admin
DOC_TITLE, DOC_SUMMARY, DOC_BASED_ON, PASSAGE_HEADING, PASSAGE_TEXT = 21, 22, 23, 24, 25
BANK_TITLE, BANK_DESCRIPTION = 31, 32
STEM, EXPLANATION, KEY, KEY_FEEDBACK, WRONG, WRONG_FEEDBACK = 41, 42, 43, 44, 45, 46
ACCEPTED, SHORT_STEM, TYPED = 47, 48, 49        # a short-answer item, and what the learner typed
(IMP_TITLE, IMP_DESCRIPTION, IMP_DOC_TITLE, IMP_HEADING, IMP_PASSAGE, IMP_STEM, IMP_KEY, IMP_KEY_FEEDBACK,
 IMP_WRONG, IMP_EXPLANATION, IMP_DRAFT_STEM) = range(51, 62)
GENERATED = 71                                  # a sentence of a text pasted on the generate page
COMMENT, RESOLUTION = 81, 82


class _Scan(HTMLParser):
    """Collect a page's text (data and attribute values) and anything a payload made live."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []
        self.attributes: list[str] = []
        self.live: list[str] = []
        self._script = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._script += 1
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(" in value:
                self.live.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:") and "alert(" in value:
                self.live.append(f"<{tag} {name}={value!r}>")
            if tag == "img" and name == "src" and value == "x":
                self.live.append(f"<img src={value!r}>")
            self.attributes.append(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._script -= 1

    def handle_endtag(self, tag):
        if tag == "script" and self._script:
            self._script -= 1

    def handle_data(self, data):
        if self._script and "alert(" in data:
            self.live.append(f"<script>{data}</script>")
        self.data.append(data)

    def shows(self, text: str) -> bool:
        return text in "".join(self.data) or any(text in value for value in self.attributes)


def problems(page: str, shown: list[int] | list[str]) -> list[str]:
    """Return what is wrong with ``page``: live payloads, and expected payloads not shown as text."""
    scan = _Scan()
    scan.feed(page)
    scan.close()
    found = [f"live markup: {m}" for m in scan.live]
    found += [f"raw in source: {s}" for s in ("<script>alert(", "<img src=x") if s in page]
    for field in shown:
        text = P(field) if isinstance(field, int) else field
        if not scan.shows(text):
            found.append(f"does not show field {field} as text")
    return found


def _client(app, csrf, email=None):
    client = app.test_client()
    if email:
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)})
        assert response.status_code == 302
    return client


def _posted(response, status=(302, 303)):
    assert response.status_code in status, response.get_data(as_text=True)[-3000:]
    return response


def _one(db, statement):
    db.session.rollback()
    return db.session.scalar(statement)


def test_stored_xss_is_shown_as_text_on_every_page(app, client, csrf, db, make_user):
    """Payloads written through every form and the import file come out as text on every page."""
    make_user("instructor", email="ida@example.org", name="Ida Instructor")
    make_user("admin", email="root@example.org", name="Root Admin")
    teacher = _client(app, csrf, "ida@example.org")
    admin = _client(app, csrf, "root@example.org")

    # -- learners register: a payload name, and a name a spreadsheet would run as a formula
    learner = client
    _posted(learner.post("/auth/register", data={
        "email": "lena@example.org", "display_name": P(NAME), "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf(learner)}))
    formula = app.test_client()
    _posted(formula.post("/auth/register", data={
        "email": "fred@example.org", "display_name": "=HYPERLINK(\"http://x.example\",\"y\")",
        "password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf(formula)}))
    lena = _one(db, select(User).where(User.email == "lena@example.org"))
    assert lena.display_name == P(NAME)  # stored as typed: escaping is the pages' job

    # -- an admin creates a user with a payload name
    token = csrf(admin)
    _posted(admin.post("/admin/user/new/", data={
        "csrf_token": token, "email": "made@example.org", "display_name": P(ADMIN_NAME), "role": "learner",
        "active": "y", "new_password": "a long new password"}))

    # -- the instructor writes a study text, a bank and two items in the admin
    token = csrf(teacher)
    _posted(teacher.post("/admin/document/new/", data={
        "csrf_token": token, "title": P(DOC_TITLE), "slug": "xss-text", "summary": P(DOC_SUMMARY),
        "based_on": P(DOC_BASED_ON),
        "passages-0-csrf_token": token, "passages-0-number": "1", "passages-0-heading": P(PASSAGE_HEADING),
        "passages-0-text": P(PASSAGE_TEXT),
        "passages-1-csrf_token": token, "passages-1-number": "2", "passages-1-heading": "",
        "passages-1-text": "A plain second passage."}))
    doc = _one(db, select(Document).where(Document.slug == "xss-text"))
    assert [p.text for p in doc.passages] == [P(PASSAGE_TEXT), "A plain second passage."]
    _posted(teacher.post("/admin/bank/new/", data={
        "csrf_token": token, "title": P(BANK_TITLE), "slug": "xss-bank", "description": P(BANK_DESCRIPTION),
        "document": str(doc.id), "published": "y", "default_items": "10", "feedback": "any",
        "shuffle_options": "y", "second_try": "y", "review_allowed": "y", "time_limit_minutes": "",
        "attempts_allowed": "", "pass_mark_percent": ""}))
    bank = _one(db, select(Bank).where(Bank.slug == "xss-bank"))
    passage_1 = str(doc.passages[0].id)
    _posted(teacher.post("/admin/items/new/", data={
        "csrf_token": token, "bank": str(bank.id), "ext_id": "xss-1", "kind": "single_choice",
        "status": "published", "origin": "authored", "stem": P(STEM), "explanation": P(EXPLANATION),
        "passage": passage_1,
        "options-0-csrf_token": token, "options-0-position": "0", "options-0-text": P(KEY),
        "options-0-is_key": "y", "options-0-feedback": P(KEY_FEEDBACK),
        "options-1-csrf_token": token, "options-1-position": "1", "options-1-text": P(WRONG),
        "options-1-feedback": P(WRONG_FEEDBACK)}))
    _posted(teacher.post("/admin/items/new/", data={
        "csrf_token": token, "bank": str(bank.id), "ext_id": "xss-2", "kind": "short_answer",
        "status": "published", "origin": "authored", "stem": P(SHORT_STEM), "explanation": "Short.",
        "passage": passage_1,
        "accepted_answers-0-csrf_token": token, "accepted_answers-0-gap": "0", "accepted_answers-0-text": P(ACCEPTED)}))
    single = _one(db, select(Question).where(Question.ext_id == "xss-1"))
    short = _one(db, select(Question).where(Question.ext_id == "xss-2"))
    assert [(o.text, o.feedback) for o in single.options] == [(P(KEY), P(KEY_FEEDBACK)), (P(WRONG), P(WRONG_FEEDBACK))]
    single_id, short_id = single.id, short.id

    # -- ... and imports a bank file (JSON) that carries its study text, with a preview first
    bank_file = json.dumps({
        "format": "studyapp-bank/1", "slug": "xss-import", "title": P(IMP_TITLE), "description": P(IMP_DESCRIPTION),
        "document": {"slug": "xss-import-text", "title": P(IMP_DOC_TITLE),
                     "passages": [{"number": 1, "heading": P(IMP_HEADING), "text": P(IMP_PASSAGE)}]},
        "items": [
            {"id": "imp-1", "kind": "single_choice", "passage": 1, "stem": P(IMP_STEM),
             "options": [{"text": P(IMP_KEY), "key": True, "feedback": P(IMP_KEY_FEEDBACK)}, {"text": P(IMP_WRONG)}],
             "explanation": P(IMP_EXPLANATION)},
            {"id": "imp-2", "kind": "true_false", "status": "draft", "passage": 1, "stem": P(IMP_DRAFT_STEM),
             "key": True, "explanation": "Draft."},
        ]}).encode("utf-8")
    preview = teacher.post("/teach/import", data={
        "csrf_token": token, "bank": "__new__", "new_slug": "xss-import", "new_title": "", "fmt": "auto",
        "file": (io.BytesIO(bank_file), "xss.json"), "preview": "Preview"})
    assert preview.status_code == 200
    preview_page = preview.get_data(as_text=True)
    confirm = {name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', preview_page[preview_page.index(
        'id="confirm-form"'):]).group(1) for name in ("csrf_token", "bank", "new_title", "fmt", "new_status", "new_bank", "filename", "content",
                                                     "digest")}
    _posted(teacher.post("/teach/import/confirm", data=confirm))
    imported = _one(db, select(Question).where(Question.ext_id == "imp-1"))
    assert imported.stem == P(IMP_STEM) and imported.options[0].feedback == P(IMP_KEY_FEEDBACK)

    # -- the generate page's preview of a pasted text
    generated = teacher.post("/teach/generate", data={
        "csrf_token": token, "bank": "__new__", "new_slug": "xss-gen", "new_title": "", "seed": "0",
        "max_items": "", "preview": "Preview",
        "text": f"The symposium in Harbin discussed the revitalization of the region.\n\n{P(GENERATED)}\n"})
    assert generated.status_code == 200

    # -- the learner takes an exam on the admin-made bank (typing a payload), and reports an item
    started = _posted(learner.post("/banks/xss-bank", data={"mode": "exam", "n_items": "2", "csrf_token": csrf(learner)}))
    attempt_id = int(re.search(r"/attempts/(\d+)/", started.headers["Location"]).group(1))
    items = {ai.item_id: ai for ai in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}
    wrong_shown = next(ao.id for ao in items[single_id].shown_options if ao.option.text == P(WRONG))
    exam_question = learner.get(f"/attempts/{attempt_id}/q/{items[single_id].position}").get_data(as_text=True)
    token = csrf(learner)
    _posted(learner.post(f"/attempts/{attempt_id}/q/{items[single_id].position}",
                         data={"choice": str(wrong_shown), "csrf_token": token}))
    _posted(learner.post(f"/attempts/{attempt_id}/q/{items[short_id].position}",
                         data={"gaps-0": P(TYPED), "csrf_token": token}))
    _posted(learner.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token}))
    assert _one(db, select(Attempt.status).where(Attempt.id == attempt_id)) == "submitted"
    _posted(learner.post(f"/attempts/{attempt_id}/items/{items[single_id].position}/report",
                         data={"reason": "typo", "comment": P(COMMENT), "csrf_token": token}))
    comment = _one(db, select(ItemReport.comment))
    assert comment == plain_text(P(COMMENT)) and "<" not in comment  # tags removed when stored

    # -- and a practice question on the imported bank, answered right: key, feedback, explanation, passage
    started = _posted(learner.post("/banks/xss-import", data={"mode": "practice", "n_items": "1", "csrf_token": token}))
    practice_url = started.headers["Location"]
    practice_id = int(re.search(r"/attempts/(\d+)/", practice_url).group(1))
    key_shown = _one(db, select(AttemptOption.id).join(AttemptItem).where(
        AttemptItem.attempt_id == practice_id, AttemptOption.option_id == imported.options[0].id))
    _posted(learner.post(practice_url, data={"choice": str(key_shown), "check": "1", "tries_seen": "0",
                                                   "csrf_token": token}))

    # the formula learner has a submitted attempt too, so that the gradebook lists them
    started = _posted(formula.post("/banks/xss-bank", data={"mode": "exam", "n_items": "1", "csrf_token": csrf(formula)}))
    formula_attempt = int(re.search(r"/attempts/(\d+)/", started.headers["Location"]).group(1))
    _posted(formula.post(f"/attempts/{formula_attempt}/submit", data={"csrf_token": csrf(formula)}))

    learner_id, made_id = lena.id, _one(db, select(User.id).where(User.email == "made@example.org"))
    bank_id, doc_id = bank.id, doc.id
    imported_id = imported.id
    draft_id = _one(db, select(Question.id).where(Question.ext_id == "imp-2"))

    # -- the pages, and the fields each shows
    shown_single = [STEM, KEY, WRONG]
    pages = [
        (learner, "/banks", [BANK_TITLE, IMP_TITLE, NAME]),
        (learner, "/banks/xss-bank", [BANK_TITLE, BANK_DESCRIPTION]),
        (learner, f"/attempts/{attempt_id}/result",
         [BANK_TITLE, *shown_single, WRONG_FEEDBACK, EXPLANATION, PASSAGE_TEXT, SHORT_STEM, ACCEPTED, TYPED]),
        (learner, practice_url, [IMP_TITLE, IMP_STEM, IMP_KEY, IMP_WRONG, IMP_KEY_FEEDBACK, IMP_EXPLANATION,
                                 IMP_PASSAGE]),
        (learner, "/progress/", [BANK_TITLE, IMP_TITLE]),
        (learner, "/sources/xss-text", [DOC_TITLE, PASSAGE_HEADING, PASSAGE_TEXT]),
        (learner, "/sources/xss-import-text", [IMP_DOC_TITLE, IMP_HEADING, IMP_PASSAGE]),
        (learner, "/review", [BANK_TITLE]),
        (learner, "/auth/account", [NAME]),
        (learner, "/banks/xss-bank/flashcards", [BANK_TITLE]),  # the front of whichever card is next
        (learner, f"POST /banks/xss-bank/flashcards/{single_id}/flip", shown_single + [EXPLANATION, PASSAGE_TEXT]),
        (teacher, "/teach/", [BANK_TITLE, IMP_TITLE]),
        (teacher, "/teach/banks", [BANK_TITLE, IMP_TITLE]),
        (teacher, "/teach/banks/xss-import/review", [IMP_TITLE, IMP_DRAFT_STEM, IMP_PASSAGE]),
        (teacher, "/teach/banks/xss-bank/review", [BANK_TITLE]),
        (teacher, "/teach/banks/xss-bank/reports", [BANK_TITLE, STEM, NAME, plain_text(P(COMMENT))]),
        (teacher, "/teach/banks/xss-bank/statistics", [BANK_TITLE, *shown_single]),
        (teacher, f"/teach/items/{single_id}/versions", [STEM, KEY]),
        (teacher, "/teach/banks/xss-bank/export", [BANK_TITLE]),
        (teacher, "/teach/learners", [NAME, ADMIN_NAME]),
        (teacher, f"/teach/learners/{learner_id}", [NAME, BANK_TITLE, IMP_TITLE]),
        (teacher, "/teach/gradebook", [NAME, BANK_TITLE]),
        (teacher, f"/attempts/{attempt_id}/result", [NAME, BANK_TITLE, *shown_single, TYPED]),
        (teacher, "/teach/import", [BANK_TITLE, IMP_TITLE]),
        (teacher, "/teach/generate", [BANK_TITLE, IMP_TITLE]),
        (teacher, "/admin/", [BANK_TITLE, IMP_TITLE]),
        (teacher, "/admin/bank/", [BANK_TITLE, IMP_TITLE, DOC_TITLE]),
        (teacher, f"/admin/bank/details/?id={bank_id}", [BANK_TITLE, BANK_DESCRIPTION, DOC_TITLE]),
        (teacher, f"/admin/bank/edit/?id={bank_id}", [BANK_TITLE, BANK_DESCRIPTION, DOC_TITLE]),
        (teacher, "/admin/items/", [STEM, SHORT_STEM, IMP_STEM, IMP_DRAFT_STEM, BANK_TITLE]),
        (teacher, f"/admin/items/details/?id={single_id}", [STEM, EXPLANATION, BANK_TITLE]),
        (teacher, f"/admin/items/edit/?id={single_id}",
         [STEM, EXPLANATION, KEY, KEY_FEEDBACK, WRONG, WRONG_FEEDBACK, BANK_TITLE]),
        (teacher, f"/admin/items/edit/?id={imported_id}", [IMP_STEM, IMP_KEY, IMP_KEY_FEEDBACK, IMP_EXPLANATION]),
        (teacher, f"/admin/items/edit/?id={short_id}", [SHORT_STEM, ACCEPTED]),
        (teacher, f"/admin/items/details/?id={draft_id}", [IMP_DRAFT_STEM]),
        (teacher, "/admin/document/", [DOC_TITLE, IMP_DOC_TITLE]),
        (teacher, f"/admin/document/edit/?id={doc_id}",
         [DOC_TITLE, DOC_SUMMARY, DOC_BASED_ON, PASSAGE_HEADING, PASSAGE_TEXT]),
        (teacher, f"/admin/document/details/?id={doc_id}", [DOC_TITLE, DOC_SUMMARY, DOC_BASED_ON]),
        (teacher, "/admin/passage/", [PASSAGE_HEADING, PASSAGE_TEXT, IMP_PASSAGE, DOC_TITLE]),
        (admin, "/admin/user/", [NAME, ADMIN_NAME]),
        (admin, f"/admin/user/edit/?id={made_id}", [ADMIN_NAME]),
        (admin, f"/admin/user/details/?id={learner_id}", [NAME]),
    ]
    found = {"import preview": problems(preview_page, [IMP_DOC_TITLE, IMP_STEM, IMP_KEY, IMP_WRONG,
                                                       IMP_EXPLANATION, IMP_DRAFT_STEM]),
             "generate preview": problems(generated.get_data(as_text=True), [GENERATED]),
             "exam question (before answering)": problems(exam_question, [BANK_TITLE, *shown_single])}
    for who, url, fields in pages:
        if url.startswith("POST "):
            response = who.post(url[5:], data={"csrf_token": csrf(who)})
        else:
            response = who.get(url)
        assert response.status_code == 200, url
        found[url] = problems(response.get_data(as_text=True), fields)

    # the instructor resolves the report with a note (sanitised like comments): the resolved list shows both
    _posted(teacher.post(f"/teach/banks/xss-bank/reports/xss-1/resolve",
                         data={"resolution": P(RESOLUTION), "csrf_token": csrf(teacher)}))
    found["reports, resolved"] = problems(teacher.get("/teach/banks/xss-bank/reports").get_data(as_text=True),
                                          [plain_text(P(COMMENT)), plain_text(P(RESOLUTION))])
    assert {where: issues for where, issues in found.items() if issues} == {}

    # the gradebook's CSV: the formula name is neutralised, the payload name is there as written
    body = teacher.get("/teach/gradebook.csv").get_data(as_text=True)
    names = {row[0] for row in list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]}
    assert names == {P(NAME), "'=HYPERLINK(\"http://x.example\",\"y\")"}


def test_the_scanner_finds_live_payloads():
    """The checker itself: unescaped payloads, handlers and javascript: URLs are found; escaped ones pass."""
    from markupsafe import escape

    live = problems(f"<p>{P(1)}</p>", [1])
    assert live == ["live markup: <script>alert(1)</script>", "live markup: <img src='x'>",
                    "live markup: <img onerror='alert(1)'>", "raw in source: <script>alert(",
                    "raw in source: <img src=x", "does not show field 1 as text"]
    assert problems('<a href=" JavaScript:alert(2)">x</a>', []) == ["live markup: <a href=' JavaScript:alert(2)'>"]
    assert problems(f"<p>{escape(P(3))}</p><input value=\"{escape(P(4))}\">", [3, 4]) == []
    assert problems("<p>nothing</p>", [5]) == ["does not show field 5 as text"]


def test_charts_escape_the_text_they_carry():
    """The SVG charts are put into pages as markup (``Markup``): the bank titles and labels in them
    are escaped by pygal's XML tree, and no script survives (the ``# nosec B704`` of the views)."""
    from datetime import datetime
    from types import SimpleNamespace

    from studyapp.charts import bar_chart_svg, score_chart_svg

    attempt = SimpleNamespace(id=1, submitted_at=datetime(2024, 5, 1, 12, 0), score_percent=50.0,
                              bank=SimpleNamespace(title=P(1)))
    score = score_chart_svg([attempt])
    assert score.startswith("<svg") and "&lt;script&gt;alert(1)&lt;/script&gt;" in score
    assert problems(score, [f"{P(1)}, 2024-05-01 12:00"]) == []
    short = "<script>alert(5)</script><img src=x onerror=alert(5)>"  # long titles are wrapped over lines
    bars = bar_chart_svg(P(2), [P(3)], [4], x_title=short, y_title=short)
    assert problems(bars, [f"{P(3)}: 4", short]) == []
    assert "<script" not in score + bars


def test_input_echoed_in_messages_and_error_pages_is_escaped(app, client, csrf, db, login_as, make_bank):
    """What a request carries comes back as text in error pages, flashed messages and refused forms:
    an unknown export format in the path (404 page), an uploaded file's name in the import error
    (flash), and the option texts of an item the admin refuses (the form shown again)."""
    from .conftest import TINY_ITEMS

    bank = make_bank(TINY_ITEMS)
    login_as("instructor")
    token = csrf(client)
    no_slash = '"><img src=x onerror=alert(91)>'  # (a path segment cannot hold the payload's "</script>")
    found = {}
    page = client.get(f"/teach/banks/{bank.slug}/export/{no_slash}")
    assert page.status_code == 404
    found["unknown export format"] = problems(page.get_data(as_text=True), [f"There is no export format '{no_slash}'."])

    name = "<img src=x onerror=alert(92)>.gift"  # (browsers send a file name without "/" or '"')
    upload = client.post("/teach/import", data={
        "csrf_token": token, "bank": bank.slug, "new_slug": "", "new_title": "", "fmt": "auto",
        "file": (io.BytesIO(b"::q:: Unclosed {=a ~b\n"), name), "preview": "Preview"})
    assert upload.status_code == 400
    found["import error"] = problems(upload.get_data(as_text=True), [f"Nothing can be imported from this file: {name}:1"])

    refused = client.post("/admin/items/new/", data={
        "csrf_token": token, "bank": str(bank.id), "ext_id": "no-key", "kind": "single_choice", "status": "draft",
        "origin": "authored", "stem": P(93), "explanation": P(94), "passage": "__None",
        "options-0-csrf_token": token, "options-0-position": "0", "options-0-text": P(95),
        "options-1-csrf_token": token, "options-1-position": "1", "options-1-text": P(96)})
    assert refused.status_code == 200  # the form again, with the reason
    assert db.session.scalar(select(Question.id).where(Question.ext_id == "no-key")) is None
    found["refused item"] = problems(refused.get_data(as_text=True), [93, 94, 95, 96])
    assert {where: issues for where, issues in found.items() if issues} == {}

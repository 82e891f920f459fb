"""Importing items from a file (upload, preview, confirm) and exporting a bank, for instructors.

Import is two steps. The upload is parsed and imported in a transaction that is rolled back
(a dry run), and the preview shows what the file holds, what it would create, update or leave
alone, the kinds not supported, and any error. The preview page carries the file back (base64,
signed with the app's secret key) so that *Import* writes exactly what was previewed, in one
transaction; nothing is kept on the server between the two steps.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import instructor_required
from ..extensions import db
from ..interchange.errors import InterchangeError
from ..interchange.formats import FORMATS, Format, Parsed, format_for, left_out, read_file, readable
from ..interchange.store import StoreError, bank_record, import_items
from ..models import Bank
from . import bp
from .forms import ImportConfirmForm, ImportForm
from .review_views import _bank_or_404

NEW_BANK = "__new__"
BY_NAME = "auto"
TOO_LARGE = "The file is larger than {mb} MB; split it into smaller files."


def _signature(bank: str, fmt: str, new_status: str, content: str, new_bank: str = "0") -> str:
    """HMAC-SHA256 (hex, 64 characters) of what the preview showed, keyed with the secret key."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    text = "\x1f".join((bank, fmt, new_status, new_bank, content))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _parse(fmt: Format, data: bytes, name: str) -> Parsed:
    """Parse an upload; an over-large one is refused with 413.

    Raises:
        werkzeug.exceptions.RequestEntityTooLarge: over ``MAX_IMPORT_BYTES``.
        InterchangeError: the file cannot be read (file, line and reason).
    """
    limit = current_app.config["MAX_IMPORT_BYTES"]
    if len(data) > limit:
        abort(413, description=TOO_LARGE.format(mb=limit // (1024 * 1024)))
    return read_file(fmt, data, name)


@bp.route("/import", methods=["GET", "POST"])
@instructor_required
def import_file():
    """Step one: upload a file, see what it holds and what importing it would do."""
    try:
        form = ImportForm()
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: refused while the form is read
        abort(413, description=TOO_LARGE.format(mb=current_app.config["MAX_IMPORT_BYTES"] // (1024 * 1024)))
    banks = list(db.session.scalars(select(Bank).order_by(Bank.title)))
    form.bank.choices = [(NEW_BANK, "New bank…")] + [(b.slug, f"{b.title} ({b.slug})") for b in banks]
    form.fmt.choices = [(BY_NAME, "From the file name")] + [(f.name, f"{f.label} ({', '.join(f.extensions)})")
                                                              for f in readable()]
    if request.method == "GET" and request.args.get("bank") in {b.slug for b in banks}:
        form.bank.data = request.args["bank"]
    status, preview = 200, None
    if form.validate_on_submit():
        new = form.bank.data == NEW_BANK
        slug = (form.new_slug.data or "").strip() if new else form.bank.data
        upload = form.file.data
        if new and not slug:
            flash("Give the new bank an id (lower-case letters, digits and '-').", "danger")
            status = 400
        elif new and any(b.slug == slug for b in banks):
            flash(f"There is already a bank {slug!r}: choose it in the list instead.", "danger")
            status = 409
        elif not upload or not getattr(upload, "filename", ""):
            flash("Choose a file to import.", "danger")
            status = 400
        else:
            limit = current_app.config["MAX_IMPORT_BYTES"]
            data, name = upload.read(limit + 1), upload.filename
            preview, status = _preview(slug, form.new_title.data or "", form.fmt.data, form.new_status.data,
                                       name, data, new)
    elif request.method == "POST":
        status = 400
        if not form.errors.get("csrf_token"):
            flash("The form could not be read: " + "; ".join(
                f"{form[k].label.text}: {' '.join(v)}" for k, v in form.errors.items() if k in form), "danger")
    return render_template("teach/import.html", form=form, preview=preview), status


PREVIEW_ROWS = 200
"""The preview table shows at most this many items (the counts cover them all)."""


def _preview(slug: str, title: str, fmt_name: str, new_status: str, name: str,
             data: bytes, new: bool = False) -> tuple[dict | None, int]:
    """Parse the upload and import it in a dry run; return what the preview page shows and the status."""
    try:
        fmt = format_for(name, None if fmt_name == BY_NAME else fmt_name)
        parsed = _parse(fmt, data, name)
        report = import_items(slug, parsed.items, document=parsed.document, title=title or parsed.title,
                              description=parsed.description, carries=parsed.carries,
                              new_status="draft" if new_status == "draft" else None, dry_run=True)
    except InterchangeError as exc:
        flash(f"Nothing can be imported from this file: {exc}", "danger")
        return None, 400
    except StoreError as exc:
        flash(f"Nothing can be imported from this file: {name}: {exc}", "danger")
        return None, 409
    content = base64.b64encode(data).decode("ascii")
    new_bank = "1" if new else "0"
    confirm = ImportConfirmForm(formdata=None, bank=slug, new_title=title, fmt=fmt.name, new_status=new_status,
                                new_bank=new_bank, filename=name, content=content,
                                digest=_signature(slug, fmt.name, new_status, content, new_bank))
    return {"fmt": fmt, "name": name, "parsed": parsed, "report": report, "bank": slug, "confirm": confirm,
            "rows": parsed.items[:PREVIEW_ROWS], "new_status": new_status}, 200


@bp.route("/import/confirm", methods=["POST"])
@instructor_required
def import_confirm():
    """Step two: import the previewed file, in one transaction (all or nothing)."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The import form could not be read; upload the file again.")
    slug, fmt_name, content, new_status = form.bank.data, form.fmt.data, form.content.data, form.new_status.data
    if not hmac.compare_digest(form.digest.data, _signature(slug, fmt_name, new_status, content,
                                                            form.new_bank.data)) or fmt_name not in FORMATS:
        abort(400, description="This is not the file that was previewed; upload it again.")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        abort(400, description="The file sent back could not be read; upload it again.")
    name = form.filename.data or f"upload{FORMATS[fmt_name].extension}"
    if form.new_bank.data == "1" and db.session.scalar(select(Bank.id).where(Bank.slug == slug)) is not None:
        abort(409, description=f"Nothing was imported: a bank {slug!r} was created after your preview (in another "
                               "tab, or by someone else). Preview the file again, choosing that bank or a new id.")
    try:
        parsed = _parse(FORMATS[fmt_name], data, name)
        report = import_items(slug, parsed.items, document=parsed.document,
                              title=form.new_title.data or parsed.title, description=parsed.description,
                              carries=parsed.carries, new_status="draft" if new_status == "draft" else None)
    except InterchangeError as exc:
        abort(400, description=f"Nothing was imported: {exc}")
    except StoreError as exc:
        abort(409, description=f"Nothing was imported: {name}: {exc}")
    message = f"Imported {name}: {report.summary()}."
    if parsed.not_supported:
        message += f" {len(parsed.not_supported)} question(s) of kinds studyapp does not support were left out."
    flash(message, "success")
    return redirect(url_for("teach.bank_export", slug=slug), 303)


@bp.route("/banks/<slug>/export")
@instructor_required
def bank_export(slug: str):
    """The bank's export page: one download per format, with the items each cannot carry."""
    bank = _bank_or_404(slug)
    record = bank_record(bank)
    rows = [(fmt, left_out(fmt, record)) for fmt in FORMATS.values()]
    return render_template("teach/export.html", bank=bank, rows=rows, count=len(record.items))


@bp.route("/banks/<slug>/export/<fmt_name>")
@instructor_required
def bank_export_file(slug: str, fmt_name: str):
    """Download the bank's current items in one format (``fmt_name`` a key of FORMATS)."""
    bank = _bank_or_404(slug)
    fmt = FORMATS.get(fmt_name)
    if fmt is None:
        abort(404, description=f"There is no export format {fmt_name!r}.")
    data, skipped = fmt.write(bank_record(bank))
    response = Response(data, content_type=fmt.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{bank.slug}{fmt.extension}"'
    response.headers["X-Items-Not-Exported"] = str(len(skipped))
    return response

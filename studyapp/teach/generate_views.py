"""Generating drafts from a text: upload or paste, preview, save; behind ``instructor_required``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..access import instructor_required
from ..extensions import db
from ..interchange.store import StoreError, store_drafts
from ..models import Bank
from . import bp
from .forms import GenerateForm

NEW_BANK = "__new__"


def _source_text(form: GenerateForm) -> tuple[str, str]:
    """Return (text, name) from the uploaded file or the pasted text.

    Raises:
        werkzeug.exceptions.RequestEntityTooLarge: over ``MAX_SOURCE_BYTES`` (413).
        GenerationInputError: unreadable or empty input.
    """
    from ..generation import MAX_SOURCE_BYTES, GenerationInputError, read_source

    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        data, name = upload.read(MAX_SOURCE_BYTES + 1), upload.filename
    else:
        data, name = (form.text.data or "").encode("utf-8"), "pasted.txt"
        if not data.strip():
            raise GenerationInputError("Upload a file or paste a text first.")
    if len(data) > MAX_SOURCE_BYTES:
        abort(413, description=f"The text is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB; "
                               "split it into smaller parts.")
    return read_source(data, name), name


@bp.route("/generate", methods=["GET", "POST"])
@instructor_required
def generate():
    """Upload or paste a text, preview the report and the drafts, then save them."""
    from ..generation import GenerationInputError, bank_title, generate as run_generator

    form = GenerateForm()
    form.bank.choices = [(NEW_BANK, "New bank…")] + [
        (b.slug, b.title) for b in db.session.scalars(select(Bank).order_by(Bank.title))]
    result = report = None
    status = 200
    if form.validate_on_submit():
        new = form.bank.data == NEW_BANK
        slug = (form.new_slug.data or "").strip() if new else form.bank.data
        title = (form.new_title.data or "").strip()   # none: the text's own title (front matter, heading)
        try:
            if new and not slug:
                raise GenerationInputError("Give the new bank an id (lower-case letters, digits and '-').")
            text, name = _source_text(form)
            result = run_generator(text, title=title, slug=f"{slug}-source", seed=form.seed.data or 0,
                                   max_items=form.max_items.data)
        except GenerationInputError as exc:
            flash(str(exc), "danger")
            status = 400
        else:
            form.text.data = text  # keep an uploaded text in the form for "Save as drafts"
            if form.save.data:
                try:
                    saved = store_drafts(slug, title or bank_title(result.document, slug), result.document,
                                         result.items)
                except StoreError as exc:
                    flash(str(exc), "danger")
                    status = 409
                else:
                    flash(f"{saved.summary()}. Review them below before learners can see them.", "success")
                    return redirect(url_for("teach.review_queue", slug=slug), 303)
            report = result.report
    elif request.method == "POST":
        status = 400
    return render_template("teach/generate.html", form=form, result=result, report=report), status

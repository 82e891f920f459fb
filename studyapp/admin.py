"""Flask-Admin views (CRUD), all behind the instructor role; users and roles for admins only."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from markupsafe import Markup
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.menu import MenuLink
from flask_admin.model import typefmt
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from wtforms import FloatField, PasswordField, SelectField
from wtforms.validators import NumberRange, Optional
from wtforms.validators import ValidationError

from .auth.views import safe_next
from .csp import admin_nonce
from .extensions import db
from .guards import parse_db_id
from .interchange.bankfile import item_problems
from .interchange.sourcetext import SLUG
from .versioning import ItemContent, is_used, new_version
from .kinds import KINDS, get_kind
from .models import (
    AcceptedAnswer, Attempt, AttemptItem, Bank, Document, ItemOrigin, ItemStatus, Option, Passage, Question, Role, User,
)


def _deny():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403, description="The admin area is for instructors.")


class StaffOnly:
    """Mixin: instructors and admins may enter; anonymous users log in first; others get 403.

    Flask-Admin sends staff back to the page in ``?url=`` after a page or an action; an address
    that is not a path of this site is refused (400), not followed. (Flask-Admin's own check lets
    ``https:/evil.example`` through, which leaves as ``Location: https:///evil.example``: to a
    browser, https://evil.example/.)
    """

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_staff

    def inaccessible_callback(self, name, **kwargs):
        return _deny()

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        target = request.values.get("url")
        if target and safe_next(target) is None:
            abort(400, description="The return address must be a page of this site.")
        return None


class AdminOnly(StaffOnly):
    """Mixin: admins only."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_admin

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403, description="Users and roles are managed by admins only.")
        return _deny()


class HomeView(StaffOnly, AdminIndexView):
    """``/admin/`` itself, protected like every other admin view."""

    @expose("/")
    def index(self):
        """Overview: banks with item counts by status, and learners and attempts in numbers."""
        by_status = db.session.execute(
            select(Bank.id, Bank.title, Question.status, func.count(Question.id))
            .outerjoin(Question, Question.bank_id == Bank.id)
            .group_by(Bank.id, Bank.title, Question.status).order_by(Bank.title)
        ).all()
        banks: dict[int, dict] = {}
        for bank_id, title, status, n in by_status:
            row = banks.setdefault(bank_id, {"id": bank_id, "title": title, "published": 0, "draft": 0, "retired": 0})
            if status:
                row[status] = n
        totals = {
            "learners": db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER.value)),
            "attempts": db.session.scalar(select(func.count()).select_from(Attempt)
                                          .where(Attempt.status == "submitted")),
        }
        return self.render("admin/index.html", banks=list(banks.values()), totals=totals)


class AdminForm(FlaskForm):
    """Flask-WTF form (CSRF checked with the app's token) that keeps the edited object.

    Flask-Admin's ``Unique`` validator compares the row it finds with ``form._obj``, which only
    Flask-Admin's own ``BaseForm`` sets; without it every edit of a row with a unique column
    (a user's email, a bank's slug) would be refused with "Already exists.".
    """

    def __init__(self, formdata=_Auto, obj=None, **kwargs):
        self._obj = obj
        super().__init__(formdata, obj=obj, **kwargs)


class SecureModelView(StaffOnly, ModelView):
    """Base view: Flask-WTF forms (CSRF checked with the app's token), friendly integrity errors."""

    form_base_class = AdminForm
    column_type_formatters = {
        **typefmt.BASE_FORMATTERS,
        datetime: lambda view, value, name: value.strftime("%Y-%m-%d %H:%M"),
    }
    column_labels = {"is_key": "Key", "ext_id": "Item id", "options": "Options", "accepted_answers": "Accepted answers",
                     "created_at": "Created", "updated_at": "Updated"}
    page_size = 50
    can_view_details = True

    def get_one(self, id):  # noqa: A002 - Flask-Admin's name
        """Return the row with primary key ``id``, or None for an id that cannot exist."""
        ident = parse_db_id(id)
        return None if ident is None else super().get_one(str(ident))

    @action("delete", "Delete", "Are you sure you want to delete the selected records?")
    def action_delete(self, ids) -> None:
        """Bulk delete: ids are turned into integers first (PostgreSQL will not compare an
        integer key with the text Flask-Admin sends); ids that cannot exist are dropped."""
        super().action_delete([i for i in (parse_db_id(x) for x in ids) if i is not None])

    def _get_list_extra_args(self):
        """Clamp ?page= and ?page_size= so that odd values list the first page, not an error."""
        view_args = super()._get_list_extra_args()
        if not 0 <= (view_args.page or 0) <= 100_000:
            view_args.page = 0
        if not 0 <= (view_args.page_size or 0) <= 500:
            view_args.page_size = 0
        return view_args

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, IntegrityError):
            db.session.rollback()
            flash("Not done: other records depend on this one, or a value must be unique "
                  "(for an item that learners have answered, set its status to retired instead).", "error")
            return True
        return super().handle_view_exception(exc)


def _slug_validator(what: str):
    """Return a WTForms validator refusing a slug that is not lower-case letters, digits and '-'
    (the whole value: a trailing newline is refused too), since it is part of the addresses."""
    def check(form, field):
        if not SLUG.fullmatch(field.data or ""):
            raise ValidationError(f"Use lower-case letters, digits and '-' (it is part of the {what}'s addresses).")
    return check


# Bandit (B105) takes a string under a "pass..." name or key for a password: one string per line here, so
# that the nosec of each covers just it (inside the dicts below it would cover every string of the dict).
PASS_MARK_LABEL = "Pass mark (%)"  # nosec B105 # a column label, not a password
PASS_MARK_DESCRIPTION = "0-100; empty: no pass mark."  # nosec B105 # a column description, not a password


class BankView(SecureModelView):
    column_list = ("title", "slug", "document", "published", "time_limit_minutes", "attempts_allowed",
                   "pass_mark_percent", "created_at")
    column_searchable_list = ("title", "slug")
    form_columns = ("title", "slug", "description", "document", "published", "default_items", "feedback",
                    "shuffle_options", "second_try", "review_allowed", "time_limit_minutes", "attempts_allowed",
                    "pass_mark_percent")
    column_labels = {"time_limit_minutes": "Exam time limit (minutes)", "attempts_allowed": "Exam attempts allowed",
                     "pass_mark_percent": PASS_MARK_LABEL, "second_try": "Second try in practice",
                     "default_items": "Questions per quiz (default)", "feedback": "When feedback is shown",
                     "shuffle_options": "Shuffle options", "review_allowed": "Learners may review their attempts"}
    column_descriptions = {
        "time_limit_minutes": "Empty: no time limit. The server refuses answers after the limit (plus a short grace).",
        "attempts_allowed": "Empty: unlimited exam attempts per learner.",
        "pass_mark_percent": PASS_MARK_DESCRIPTION,
        "second_try": "In practice mode, a wrong first answer may be tried once more for at most 67% of the mark.",
        "default_items": "How many questions the quiz form offers; learners may change it (1-100).",
        "feedback": "After each answer (learners choose practice or exam), or only after submission (exams only).",
        "shuffle_options": "Each attempt shows the options of choice items in its own random order.",
        "review_allowed": "If not, a learner's result page shows the score only, not the items, keys and explanations.",
    }
    # Flask-Admin's converter skips SQLAlchemy's Double columns: give the pass mark its field.
    form_overrides = {"pass_mark_percent": FloatField, "feedback": SelectField}
    form_args = {
        "slug": {"validators": [_slug_validator("bank")]},
        "feedback": {"choices": [("any", "After each answer or after submission (learner's choice)"),
                                 ("after_submission", "Only after submission (exams only)")]},
        "default_items": {"validators": [NumberRange(min=1, max=100)]},
        "time_limit_minutes": {"validators": [Optional(), NumberRange(min=1, max=24 * 60)]},
        "attempts_allowed": {"validators": [Optional(), NumberRange(min=1, max=1000)]},
        "pass_mark_percent": {"validators": [Optional(), NumberRange(min=0, max=100)]},
    }

    def on_model_delete(self, model: Bank) -> None:
        """Delete the bank's items with it, unless learners have attempts on the bank.

        Without this the ORM would try to set ``items.bank_id`` to NULL, and no bank could
        ever be deleted.

        Raises:
            wtforms.validators.ValidationError: the bank has attempts (deleting it would erase
                learners' scores); shown to the instructor, nothing is deleted.
        """
        attempts = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.bank_id == model.id))
        if attempts:
            raise ValidationError(
                f"Not deleted: learners have {attempts} attempt(s) on this bank, and deleting it would erase "
                "their scores. Unpublish the bank instead.")
        for item in list(model.items):
            db.session.delete(item)
        db.session.flush()
        db.session.expire(model, ["items"])


def _choices(enum_cls):
    return [(e.value, e.value.replace("_", " ")) for e in enum_cls]


class ItemView(SecureModelView):
    """Items with their options and accepted answers edited inline."""

    column_list = ("ext_id", "version", "bank", "kind", "status", "origin", "stem", "passage", "updated_at")
    column_filters = ("bank.title", "kind", "status", "origin")
    column_searchable_list = ("ext_id", "stem")
    column_default_sort = ("id", False)
    column_formatters = {
        "stem": lambda v, c, m, n: (m.stem[:90] + "…") if len(m.stem) > 90 else m.stem,
        "updated_at": lambda v, c, m, n: m.updated_at.strftime("%Y-%m-%d %H:%M") if m.updated_at else "",
        "passage": lambda v, c, m, n: f"§{m.passage.number}" if m.passage else "",
        "version": lambda v, c, m, n: Markup('<a href="{}">v{}</a>').format(  # format() escapes both
            url_for("teach.item_versions", item_id=m.id), m.version),
    }
    form_columns = ("bank", "ext_id", "kind", "status", "origin", "stem", "explanation", "passage",
                    "options", "accepted_answers")
    form_overrides = {"kind": SelectField, "status": SelectField, "origin": SelectField}
    form_args = {
        "kind": {"choices": [(k.name, k.label) for k in KINDS.values()]},
        "status": {"choices": _choices(ItemStatus)},
        "origin": {"choices": _choices(ItemOrigin)},
        "ext_id": {"label": "Item id", "description": "Stable id, unique within the bank, e.g. hs23-046"},
        "stem": {"description": "Cloze items: write each gap as ___ (three underscores)."},
    }
    form_widget_args = {"stem": {"rows": 4}, "explanation": {"rows": 3}}
    inline_models = (
        (Option, {"form_columns": ("id", "position", "text", "is_key", "feedback"),
                  "form_args": {"position": {"validators": [NumberRange(min=0, max=1000)]}}}),
        (AcceptedAnswer, {"form_columns": ("id", "gap", "text"),
                          "form_args": {"gap": {"description": "0 for short answer; cloze gaps count from 0",
                                                "validators": [NumberRange(min=0, max=100)]}}}),
    )

    def on_model_change(self, form, model: Question, is_created: bool) -> None:
        """Check the item, as it will be after this save, by the bank-file rules.

        Inline rows ticked "Delete?" do not count. An item that learners have met in
        attempts keeps its kind, options and keys (changing them would rewrite past results).

        Raises:
            wtforms.validators.ValidationError: shown to the instructor; nothing is saved.
        """
        deleted = set(db.session.deleted)
        options = sorted((o for o in model.options if o not in deleted), key=lambda o: o.position or 0)
        answers = [a for a in model.accepted_answers if a not in deleted]
        if not is_created:
            self._check_used_item(model)
        data = {"id": model.ext_id or "", "kind": model.kind, "stem": model.stem or "",
                "explanation": model.explanation or "-", "status": model.status, "origin": model.origin}
        kind = get_kind(model.kind)
        if kind.uses_options and answers:
            raise ValidationError("A choice item has options, not accepted answers: delete its accepted answers.")
        if not kind.uses_options and options:
            raise ValidationError("A short-answer or fill-in item has accepted answers, not options: "
                                  "delete its options.")
        if model.kind in ("single_choice", "multiple_response"):
            data["options"] = [{"text": o.text or "", "key": bool(o.is_key)} for o in options]
        elif model.kind == "true_false":
            texts = [(o.text or "").strip().lower() for o in options]
            keys = [o for o in options if o.is_key]
            if sorted(texts) != ["false", "true"] or len(keys) != 1:
                raise ValidationError("A true/false item needs exactly the options True and False, one of them the key.")
            data["key"] = keys[0].text.strip().lower() == "true"
        else:
            gaps: dict[int, list[str]] = {}
            for a in answers:
                gaps.setdefault(a.gap or 0, []).append(a.text or "")
            if model.kind == "short_answer":
                data["answers"] = gaps.get(0, [])
            else:
                data["gaps"] = [gaps.get(i, []) for i in range(max(gaps) + 1 if gaps else 0)]
        problems = item_problems(data)
        if problems:
            raise ValidationError("; ".join(problems))
        if not is_created and model.origin == ItemOrigin.GENERATED.value and self._content_changed(model):
            model.origin = ItemOrigin.EDITED.value

    @staticmethod
    def _content_changed(model: Question) -> bool:
        """True if the stem, explanation, kind, options or accepted answers are being changed."""
        state = sa_inspect(model)
        if any(state.attrs[name].history.has_changes() for name in ("stem", "explanation", "kind")):
            return True
        touched = [*db.session.new, *db.session.deleted, *(o for o in db.session.dirty if db.session.is_modified(o))]
        return any(isinstance(o, (Option, AcceptedAnswer)) and (o.item is model or o.item_id == model.id)
                   for o in touched)

    @staticmethod
    def _check_used_item(model: Question) -> None:
        """Refuse what a new version cannot do: change the id or bank of an item learners have
        met, or edit a version that a newer one has replaced."""
        with db.session.no_autoflush:   # a flush here would clear the history _content_changed reads
            before = db.session.execute(select(Question.ext_id, Question.bank_id, Question.superseded_by_id)
                                        .where(Question.id == model.id)).one()
            used = is_used(model.id)
        if before.superseded_by_id is not None:
            raise ValidationError("This is an old version of the item, kept as learners were asked it; "
                                  "edit the current version instead.")
        if used and (model.ext_id, model.bank_id) != (before.ext_id, before.bank_id):
            raise ValidationError("Learners have answered this item, so its id and bank cannot change.")

    @staticmethod
    def _content_after(model: Question) -> ItemContent:
        """The item's content as the form leaves it (inline rows ticked "Delete?" left out)."""
        deleted = set(db.session.deleted)
        options = sorted((o for o in model.options if o not in deleted), key=lambda o: o.position or 0)
        answers = [a for a in model.accepted_answers if a not in deleted]
        return ItemContent(model.kind, model.stem or "", model.explanation or "",
                           model.passage.id if model.passage is not None else None,
                           [(o.text or "", bool(o.is_key)) for o in options],
                           sorted((a.gap or 0, a.text or "") for a in answers),
                           {o.text or "": o.feedback or "" for o in options if o.feedback})

    def update_model(self, form, model: Question) -> bool:
        """Save an edit. An item learners have met is not changed in place: a change of its
        kind, stem, explanation, passage, options, keys or accepted answers is saved as a new
        version (``studyapp.versioning``), and past attempts keep the version they asked.

        Returns:
            True when saved (in place or as a new version), False when refused (message shown).
        """
        if not is_used(model.id):
            return super().update_model(form, model)
        item_id = model.id
        try:
            with db.session.no_autoflush:
                before = ItemContent.of(model)
                form.populate_obj(model)
                self._on_model_change(form, model, False)
                after = self._content_after(model)
                status, origin = model.status, model.origin
        except Exception as ex:  # noqa: BLE001 - shown like Flask-Admin's own failures
            db.session.rollback()
            if not self.handle_view_exception(ex):
                flash(f"Failed to update record. {ex}", "error")
            return False
        db.session.rollback()                      # nothing of the in-place edit is kept
        item = db.session.get(Question, item_id)
        same = (after.key(), after.stem, after.explanation, after.passage_id) == \
            (before.key(), before.stem, before.explanation, before.passage_id)
        if same:
            item.status, item.origin = status, origin
            for option in item.options:  # per-option feedback changes in place, like status
                option.feedback = after.feedback.get(option.text, "")
            db.session.commit()
            return True
        new = new_version(item, after, status=status,
                          origin=ItemOrigin.EDITED.value if origin == ItemOrigin.GENERATED.value else origin)
        db.session.commit()
        message = (f"Learners have answered this item, so the change was saved as version {new.version}; "
                   f"their attempts keep version {item.version} as it was asked, with its marks.")
        if after.keys() != before.keys():
            message += " The key changed: you can regrade past attempts from the item's versions page."
        flash(message, "success")
        return True

    def on_model_delete(self, model: Question) -> None:
        """Refuse to delete an item learners have met: their results refer to it.

        Raises:
            wtforms.validators.ValidationError: shown to the instructor; nothing is deleted.
        """
        if is_used(model.id):
            raise ValidationError("Not deleted: learners have answered this item, and deleting it would erase "
                                  "their results. Set its status to retired instead: it then leaves new quizzes.")
        if model.previous_id is not None or model.superseded_by_id is not None:
            raise ValidationError("Not deleted: this is a version of an item learners have answered (its versions "
                                  "and any regrade of their results refer to it). Set its status to retired instead.")


def _refuse_if_cited(passage_ids: list[int]) -> None:
    """Raise a ValidationError if any item cites one of ``passage_ids``."""
    cited = db.session.scalar(select(func.count()).select_from(Question).where(Question.passage_id.in_(passage_ids)))
    if cited:
        raise ValidationError(
            f"Not deleted: {cited} item(s) cite the passage(s) as the support of their key. "
            "Point those items at another passage first, or edit the passage's text instead.")


class DocumentView(SecureModelView):
    column_list = ("title", "slug", "created_at")
    form_columns = ("title", "slug", "summary", "based_on")
    form_args = {"slug": {"validators": [_slug_validator("study text")]}}
    inline_models = ((Passage, {"form_columns": ("id", "number", "heading", "text")}),)

    def on_model_change(self, form, model: Document, is_created: bool) -> None:
        """Refuse to delete (inline) passages that items cite."""
        deleted = [p.id for p in db.session.deleted if isinstance(p, Passage) and p.id]
        if deleted:
            _refuse_if_cited(deleted)

    def on_model_delete(self, model: Document) -> None:
        """Refuse to delete a document whose passages items cite."""
        _refuse_if_cited([p.id for p in model.passages])


class PassageView(SecureModelView):
    column_list = ("document", "number", "heading", "text")
    column_filters = ("document.title",)
    column_searchable_list = ("text",)
    column_default_sort = [("document_id", False), ("number", False)]
    form_columns = ("document", "number", "heading", "text")
    form_args = {"number": {"validators": [NumberRange(min=1, max=100000)]}}

    def on_model_delete(self, model: Passage) -> None:
        """Refuse to delete a passage that items cite."""
        _refuse_if_cited([model.id])


class UserView(AdminOnly, SecureModelView):
    """Users and roles (admins only). Passwords are set, never shown."""

    column_list = ("email", "display_name", "role", "active", "created_at")
    column_searchable_list = ("email", "display_name")
    column_filters = ("role", "active")
    column_exclude_list = ("password_hash",)
    column_details_exclude_list = ("password_hash",)
    form_columns = ("email", "display_name", "role", "active", "new_password")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": _choices(Role)}}
    form_extra_fields = {"new_password": PasswordField("New password (leave empty to keep)", validators=[Optional()])}

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        """Lower-case the email and hash a new password; a new user needs one.

        Raises:
            wtforms.validators.ValidationError: a new user without a password, or one too short.
        """
        from flask import current_app

        model.email = (model.email or "").strip().lower()
        password = form.new_password.data
        if password:
            if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
                raise ValidationError(f"Passwords need at least {current_app.config['PASSWORD_MIN_LENGTH']} characters.")
            model.set_password(password)
        elif is_created:
            raise ValidationError("A new user needs a password.")


def init_admin(app) -> Admin:
    """Create the Admin for ``app`` (one per app, so tests can build several apps).

    Flask-Admin writes the request's CSP nonce (``studyapp.csp.admin_nonce``) on its script
    and stylesheet tags. Its templates with ``onclick=`` handlers, which no nonce allows, are
    overridden in ``templates/admin/`` and wired by ``static/js/admin.js`` instead.
    """
    admin = Admin(app, name="studyapp admin", index_view=HomeView(url="/admin"),
                  theme=Bootstrap4Theme(swatch=app.config.get("FLASK_ADMIN_SWATCH", "default")),
                  csp_nonce_generator=admin_nonce)
    admin.add_view(BankView(Bank, db, name="Banks", category="Content"))
    admin.add_view(ItemView(Question, db, name="Items", endpoint="items", category="Content"))
    admin.add_view(DocumentView(Document, db, name="Source documents", category="Content"))
    admin.add_view(PassageView(Passage, db, name="Passages", category="Content"))
    admin.add_view(UserView(User, db, name="Users"))
    admin.add_link(MenuLink(name="Learners' scores", url="/teach/learners"))
    admin.add_link(MenuLink(name="Back to studyapp", url="/"))
    return admin

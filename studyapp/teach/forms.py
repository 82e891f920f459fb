"""Instructor forms."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..interchange.sourcetext import SLUG
from ..statistics import DEFAULT_MODES


def _item_ids_in_range(form, field):
    """Refuse ids outside 1..2^31-1 (no item has one; the database could not compare them)."""
    if any(not 1 <= i <= 2**31 - 1 for i in field.data or []):
        raise ValidationError("An item id is out of range.")


class ReviewForm(FlaskForm):
    """Approve or reject the ticked drafts."""

    item_ids = SelectMultipleField("Items", coerce=int, validate_choice=False, validators=[_item_ids_in_range],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    approve = SubmitField("Approve ticked")
    reject = SubmitField("Reject ticked")


class _NewBankFields(FlaskForm):
    """The id and title of a new bank, for forms whose ``bank`` choice offers "New bank…"."""

    new_slug = StringField("New bank id", validators=[Optional(), Length(max=64),
                                                      Regexp(SLUG.pattern, message="Use lower-case letters, digits and '-'.")])
    new_title = StringField("New bank title", validators=[Optional(), Length(max=200)])


class GenerateForm(_NewBankFields):
    """A source text (file or pasted) and where its drafts go."""

    bank = SelectField("Bank", validate_choice=True,
                       description="Drafts are added to this bank; choose “New bank” to create one.")
    file = FileField("Text file (.txt, .md or .html, at most 2 MB)")
    text = TextAreaField("…or paste the text", validators=[Optional()], render_kw={"rows": 10})
    seed = IntegerField("Seed", default=0, validators=[Optional(), NumberRange(min=0, max=2**31 - 1)],
                        description="The same text and seed give the same items.")
    max_items = IntegerField("At most this many items", validators=[Optional(), NumberRange(min=1, max=1000)])
    preview = SubmitField("Preview")
    save = SubmitField("Save as drafts")


class RegradeForm(FlaskForm):
    """Regrade past attempts after a key correction."""

    submit = SubmitField("Regrade past attempts")


class ResolveForm(FlaskForm):
    """Close an item's open reports, with a note for the record."""

    resolution = TextAreaField("What was done", validators=[Length(max=1000, message="At most 1000 characters.")],
                               render_kw={"rows": 2, "maxlength": 1000})
    submit = SubmitField("Resolve")


class StatisticsForm(FlaskForm):
    """The attempt modes an item-statistics page counts (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    mode = SelectMultipleField(
        "Count submitted attempts in these modes",
        choices=[("exam", "Exam"), ("practice", "Practice"), ("review", "Spaced review")],
        default=list(DEFAULT_MODES), validate_choice=True,
        description="None ticked: exam and practice.",
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class RecalculateForm(FlaskForm):
    """"Recalculate now" on a statistics page (CSRF-protected), with the modes the page counts
    (hidden fields; none: :data:`DEFAULT_MODES`)."""

    mode = SelectMultipleField(choices=[("exam", "Exam"), ("practice", "Practice"), ("review", "Spaced review")],
                               validate_choice=True)
    submit = SubmitField("Recalculate now")


class ImportForm(_NewBankFields):
    """A file to import and the bank it goes to (step one: preview)."""

    bank = SelectField("Bank", validate_choice=True,
                       description="Items are added to this bank (matched by id); choose “New bank” to create one.")
    fmt = SelectField("Format", validate_choice=True)
    new_status = SelectField("New items", choices=[("published", "as the file says (published if it does not say)"),
                                                   ("draft", "drafts: they wait in the review queue")],
                             default="published", validate_choice=True,
                             description="Items the bank does not have yet. Items it has keep their status "
                                         "unless the file gives one (XML, CSV, JSON, YAML).")
    file = FileField("File (at most 2 MB)")
    preview = SubmitField("Preview")


class ImportConfirmForm(FlaskForm):
    """Step two: the previewed file, sent back to be imported."""

    bank = HiddenField(validators=[DataRequired(), Length(max=64), Regexp(SLUG.pattern)])
    new_title = HiddenField(validators=[Length(max=200)])
    fmt = HiddenField(validators=[DataRequired(), Length(max=10)])
    new_status = HiddenField(validators=[AnyOf(["published", "draft"])])
    new_bank = HiddenField(validators=[AnyOf(["0", "1"])])
    filename = HiddenField(validators=[Length(max=300)])
    content = HiddenField(validators=[DataRequired()])
    digest = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    confirm = SubmitField("Import")

"""Item kinds as a registry of small classes.

Each kind knows how to show an item to a learner (never its key), build the answer
form, read a response from that form, and mark it. Views look a kind up with
:func:`get_kind` and never branch on ``item.kind`` themselves. Adding a kind is
adding a class here and registering it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from wtforms import FieldList, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from . import scoring
from .interchange.records import GAP
from .models.content import ItemKind, Question


MAX_TEXT_ANSWER = 500  # characters per typed answer
NOT_AN_OPTION = "That answer is not one of the options of this question."


class InvalidResponse(ValueError):
    """A submitted response that cannot belong to the item (e.g. a foreign option id)."""


@dataclass
class ResponseData:
    """A response as plain data.

    Attributes:
        choice_ids: ids of chosen options (choice kinds).
        texts: typed text per gap (text kinds).
    """

    choice_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing was chosen or typed."""
        return not self.choice_ids and not any(t.strip() for t in self.texts)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnswerForm(FlaskForm):
    """Navigation buttons shared by every answer form."""

    prev = SubmitField("Previous")
    next = SubmitField("Save and next")
    finish = SubmitField("Review and submit")


def _bind(form_class: type[AnswerForm], formdata, data: dict) -> AnswerForm:
    """Bind ``form_class`` to submitted ``formdata``, or to the request's when it is None."""
    if formdata is not None:
        return form_class(formdata=formdata, data=data)
    return form_class(data=data)


class ChoiceAnswerForm(AnswerForm):
    choice = RadioField("Your answer", coerce=int, validate_choice=False, validators=[Optional()])


class MultiAnswerForm(AnswerForm):
    choices = MultiCheckboxField("Your answer", coerce=int, validate_choice=False)


class TextAnswerForm(AnswerForm):
    gaps = FieldList(StringField("Answer", validators=[Length(max=MAX_TEXT_ANSWER)]))


class Kind:
    """Base class of item kinds.

    Attributes:
        name: the value stored in ``items.kind``.
        label: a human name.
        instructions: a hint shown above the answer form.
        uses_options: True if responses choose among options.
    """

    name = ""
    label = ""
    instructions = ""
    uses_options = True

    # -- showing -----------------------------------------------------------
    def stem_segments(self, item: Question) -> list[str]:
        """Return the stem as text segments; a cloze has one gap between each pair."""
        return [item.stem]

    def gap_count(self, item: Question) -> int:
        """Return the number of typed answers this item takes (0 for choice kinds)."""
        return 0

    # -- answering ---------------------------------------------------------
    def build_form(self, item: Question, options: list[tuple[int, str]],
                   response: ResponseData | None = None, formdata=None) -> AnswerForm:
        """Build the answer form.

        Args:
            item: the item.
            options: ``(shown-option id, text)`` in the order fixed by the attempt.
            response: the saved response, to pre-fill the form, with its choices given
                as shown-option ids.
            formdata: submitted form data, or None to use the request's (Flask-WTF).
        Returns:
            A bound :class:`AnswerForm` subclass instance.
        """
        raise NotImplementedError

    def read(self, form: AnswerForm, item: Question, shown: dict[int, int]) -> ResponseData:
        """Read a validated form into response data.

        The browser only sees the ids of the attempt's shown options (``AttemptOption.id``,
        numbered in the order shown), never option ids, whose order could hint at the key.

        Args:
            form: the form built by :meth:`build_form`, after ``validate()``.
            item: the item answered.
            shown: shown-option id -> option id, for this item in this attempt.
        Returns:
            The response, with option ids (not shown-option ids).
        Raises:
            InvalidResponse: a value that is not a shown option of this item, or not a number.
        """
        raise NotImplementedError

    # -- marking -----------------------------------------------------------
    def mark(self, item: Question, response: ResponseData) -> scoring.MarkResult:
        """Mark ``response`` against the key of ``item`` (fraction 0-1)."""
        raise NotImplementedError

    def key_texts(self, item: Question) -> list[str]:
        """Return the key as text for the result page (one entry per key or gap)."""
        return [o.text for o in item.options if o.is_key]


class SingleChoice(Kind):
    name = ItemKind.SINGLE_CHOICE.value
    label = "Single choice"
    instructions = "Choose one answer."

    def build_form(self, item, options, response=None, formdata=None):
        data = {}
        if response and response.choice_ids:
            data["choice"] = response.choice_ids[0]
        form = _bind(ChoiceAnswerForm, formdata, data)
        form.choice.choices = options
        return form

    def read(self, form, item, shown):
        chosen = form.choice.data
        if len(form.choice.raw_data or []) > 1:
            raise InvalidResponse("Choose only one answer.")
        if form.choice.errors or (chosen is not None and chosen not in shown):
            raise InvalidResponse(NOT_AN_OPTION)
        return ResponseData(choice_ids=[] if chosen is None else [shown[chosen]])

    def mark(self, item, response):
        return scoring.mark_single(response.choice_ids, [o.id for o in item.options if o.is_key])


class TrueFalse(SingleChoice):
    name = ItemKind.TRUE_FALSE.value
    label = "True or false"
    instructions = "Is the statement true or false?"


class MultipleResponse(Kind):
    name = ItemKind.MULTIPLE_RESPONSE.value
    label = "Multiple response"
    instructions = ("Select all that apply. Each right choice earns part of the mark; "
                    "each wrong choice takes part away.")

    def build_form(self, item, options, response=None, formdata=None):
        data = {"choices": list(response.choice_ids)} if response else {}
        form = _bind(MultiAnswerForm, formdata, data)
        form.choices.choices = options
        return form

    def read(self, form, item, shown):
        chosen = set(form.choices.data or [])
        if form.choices.errors or not chosen <= shown.keys():
            raise InvalidResponse(NOT_AN_OPTION)
        return ResponseData(choice_ids=sorted(shown[c] for c in chosen))

    def mark(self, item, response):
        return scoring.mark_multiple(
            response.choice_ids, [o.id for o in item.options if o.is_key], [o.id for o in item.options]
        )


class ShortAnswer(Kind):
    name = ItemKind.SHORT_ANSWER.value
    label = "Short answer"
    instructions = "Type a short answer (case and spacing do not matter)."
    uses_options = False

    def gap_count(self, item):
        return 1

    def build_form(self, item, options, response=None, formdata=None):
        n = self.gap_count(item)
        texts = list(response.texts) if response else []
        data = {"gaps": (texts + [""] * n)[:n]}
        form = _bind(TextAnswerForm, formdata, data)
        while len(form.gaps) < n:
            form.gaps.append_entry("")
        return form

    def read(self, form, item, shown):
        return ResponseData(texts=[(f.data or "").strip() for f in form.gaps][: self.gap_count(item)])

    def accepted(self, item: Question) -> list[list[str]]:
        """Return accepted answers per gap: a list of ``gap_count`` lists of strings."""
        per_gap: list[list[str]] = [[] for _ in range(self.gap_count(item))]
        for answer in item.accepted_answers:
            if 0 <= answer.gap < len(per_gap):
                per_gap[answer.gap].append(answer.text)
        return per_gap

    def mark(self, item, response):
        return scoring.mark_text(response.texts[: self.gap_count(item)], self.accepted(item))

    def key_texts(self, item):
        return [" / ".join(answers) for answers in self.accepted(item)]


class Cloze(ShortAnswer):
    name = ItemKind.CLOZE.value
    label = "Fill in the blanks"
    instructions = "Fill in each blank (case and spacing do not matter)."

    def stem_segments(self, item):
        return GAP.split(item.stem)

    def gap_count(self, item):
        return max(1, len(GAP.findall(item.stem)))


KINDS: dict[str, Kind] = {k.name: k for k in (SingleChoice(), MultipleResponse(), TrueFalse(),
                                               ShortAnswer(), Cloze())}


def get_kind(name: str) -> Kind:
    """Return the kind registered under ``name``.

    Raises:
        KeyError: for an unknown kind.
    """
    return KINDS[name]

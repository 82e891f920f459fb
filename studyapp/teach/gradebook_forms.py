"""The gradebook's filter form, read from the query string (GET, so no CSRF token)."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import Optional, ValidationError

from ..gradebook import MODES, Filters, Sort

EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)
"""Dates outside these are refused (a local midnight near year 1 or 9999 has no UTC time)."""


def _plausible(form, field):
    """Refuse a date outside ``EARLIEST``..``LATEST``."""
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(f"Give a date between {EARLIEST.year} and {LATEST.year}.")


class GradebookForm(FlaskForm):
    """Bank, mode and date range (``from``/``to``, inclusive, YYYY-MM-DD, in the viewer's time
    zone), plus the sort (``sort``, ``order``) and ``page``, which are never refused: an unknown
    sort is ignored and the page is clamped (see :mod:`studyapp.gradebook`).

    Args:
        formdata: ``request.args``.
        banks: ``(id, title)`` of every bank, for the bank choices.
    """

    class Meta:
        csrf = False  # a GET form that changes nothing

    bank = SelectField("Bank", default="")
    mode = SelectField("Mode", default="", choices=[("", "All modes")] + [(m, m.title()) for m in MODES])
    date_from = DateField("From", name="from", validators=[Optional(), _plausible],
                          description="Inclusive, in your time zone.")
    date_to = DateField("To", name="to", validators=[Optional(), _plausible],
                        description="Inclusive, in your time zone.")
    sort = HiddenField()
    order = HiddenField()
    page = HiddenField()

    def __init__(self, formdata, banks: list[tuple[int, str]]):
        super().__init__(formdata)
        self.bank.choices = [("", "All banks")] + [(str(i), title) for i, title in banks]

    def validate(self, extra_validators=None) -> bool:
        """Validate each field, then refuse a range whose start is after its end."""
        if not super().validate(extra_validators):
            return False
        if self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors.append("The end date is before the start date.")
            return False
        return True

    def error_text(self) -> str:
        """Return every error as one sentence per field, for a 400 page."""
        return " ".join(f"{field.label.text}: {' '.join(field.errors)}" for field in self if field.errors)

    def filters(self, tz_name: str) -> Filters:
        """Return the validated filters, dates read in the time zone ``tz_name``."""
        return Filters(
            bank_id=int(self.bank.data) if self.bank.data else None, mode=self.mode.data or None,
            date_from=self.date_from.data, date_to=self.date_to.data, tz_name=tz_name,
        )

    def sort_order(self) -> Sort:
        """Return the sort asked for (the default for an unknown key)."""
        return Sort.parse(self.sort.data, self.order.data)

    def filter_args(self) -> dict[str, str]:
        """Return the filters as query parameters (empty ones left out), for links."""
        args = {"bank": self.bank.data, "mode": self.mode.data,
                "from": self.date_from.data.isoformat() if self.date_from.data else "",
                "to": self.date_to.data.isoformat() if self.date_to.data else ""}
        return {k: v for k, v in args.items() if v}

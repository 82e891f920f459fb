"""The gradebook and its CSV export; both behind ``instructor_required``."""
from __future__ import annotations

from flask import Response, abort, render_template, request

from .. import clock
from ..access import instructor_required
from ..gradebook import (
    bank_choices, csv_filename, gradebook_csv, gradebook_page, gradebook_rows, header, row_cells,
)
from ..timefmt import current_timezone
from . import bp
from .gradebook_forms import GradebookForm

COLUMN_KEYS = ("name", None, "bank", "attempts", "best", "latest", "average", "last")
"""The sort key of each column of ``gradebook.header`` (None: not sortable)."""


@bp.route("/gradebook")
@instructor_required
def gradebook():
    """Learners' scores per bank, filtered, sorted and one page at a time.

    A bad filter (unknown bank or mode, a malformed date, a start after the end) shows the
    form with its errors and no table, with status 400. Four queries: the user, the banks, the
    count, the page's rows (three when nothing matches: no rows query).
    """
    form = GradebookForm(request.args, bank_choices())
    tz, sort = current_timezone(), form.sort_order()
    if not form.validate():
        return render_template("teach/gradebook.html", form=form, book=None, sort=sort), 400
    book = gradebook_page(form.filters(tz), sort, form.page.data)
    filter_args = form.filter_args()
    return render_template(
        "teach/gradebook.html", form=form, book=book, sort=sort,
        # (heading, sort key or None); the email column is not sortable.
        columns=list(zip(header(tz), COLUMN_KEYS)), lines=[(row, row_cells(row, tz)) for row in book.rows],
        filter_args=filter_args, list_args=dict(filter_args, sort=sort.key, order=sort.order),
    )


@bp.route("/gradebook.csv")
@instructor_required
def gradebook_export():
    """Every row of the gradebook (same filters and sort, no pages) as a CSV attachment."""
    form = GradebookForm(request.args, bank_choices())
    if not form.validate():
        abort(400, description=form.error_text())
    tz = current_timezone()
    body = gradebook_csv(gradebook_rows(form.filters(tz), form.sort_order()), tz)
    return Response(body, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{csv_filename(clock.now(), tz)}"',
        "Cache-Control": "no-store",  # learners' scores: not kept in shared caches
    })

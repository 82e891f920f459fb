"""Stored item statistics: the sums of :mod:`studyapp.statistics`, kept so that a page need not
read every response again (see :mod:`studyapp.stored_statistics`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class StoredStatistics(db.Model):
    """The population sums of one scope (one bank, or every bank) and one set of attempt modes,
    as computed at ``computed_at``.

    ``scope`` is ``"bank:<id>"`` or ``"all"``; ``modes`` the attempt modes counted, sorted and
    joined by commas (``"exam,practice"``). ``sums`` is ``studyapp.statistics._Sums`` as JSON.
    What the sums cover: ``attempts`` submitted attempts of the population, the highest of
    them ``max_attempt_id`` (None without any). ``seconds`` is how long the computation took.
    A row is deleted whenever marks or the population change otherwise than by new
    submissions (regrade, deletion of attempts or users, a role change), in the same
    transaction as the change.
    """

    __tablename__ = "stored_statistics"
    __table_args__ = (UniqueConstraint("scope", "modes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    modes: Mapped[str] = mapped_column(String(64))
    sums: Mapped[dict] = mapped_column(JSON)
    attempts: Mapped[int]
    max_attempt_id: Mapped[int | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seconds: Mapped[float] = mapped_column(default=0.0)


class StatisticsEpoch(db.Model):
    """One row (id 1) counting invalidations of stored statistics: each invalidation adds one, in
    the transaction of the change. A computation reads it before reading the population and
    stores its sums only if it is unchanged once the computation holds the row (so sums read
    before a concurrent regrade or deletion committed are never stored). A missing row counts
    as 0 and is created by the first write.
    """

    __tablename__ = "statistics_epoch"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(default=0)

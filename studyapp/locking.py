"""One way to serialise writes that must read what the previous one committed, on both databases."""
from __future__ import annotations

from sqlalchemy import update

from .extensions import db


def lock_row(model, row_id: int) -> None:
    """Lock one row until the transaction ends, with a no-op UPDATE (``id = id``): a row lock on
    PostgreSQL, the database write lock on SQLite (where ``SELECT ... FOR UPDATE`` does nothing).
    A second transaction doing the same waits, then reads what the first committed.

    Args:
        model: the mapped class (``Attempt``, ``User``, ``Question``, ...).
        row_id: the primary key of the row.
    """
    db.session.execute(update(model).where(model.id == row_id).values(id=model.id)
                       .execution_options(synchronize_session=False))

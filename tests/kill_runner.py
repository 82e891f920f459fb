"""A process for ``tests/test_concurrency.py`` to kill: it runs an import or a submission
against ``DATABASE_URL`` and leaves flag files that say how far it got.

Run from the repository root as ``python -m tests.kill_runner import PATH SLUG`` (the real
``flask --app studyapp import PATH --bank SLUG`` command, which reads ``DATABASE_URL``) or
``python -m tests.kill_runner submit ATTEMPT_ID`` (``studyapp.attempting.submit_attempt`` on
that attempt, in an app made with ``config.Config``, which reads ``DATABASE_URL``).

Flags, written in the directory ``KILL_RUNNER_FLAGS`` (each an empty file):

- ``write``: the first INSERT, UPDATE or DELETE has been executed: the process is inside its
  writing transaction (neither command writes anything before that statement);
- ``<verb>-<table>`` (e.g. ``insert-options``, ``update-responses``): the first statement of that
  kind on that table has been executed;
- ``commit``: the writing transaction is about to be committed (SQLAlchemy's ``commit`` engine
  event, just before the driver's ``commit()``);
- ``stopped``: the process has reached ``KILL_RUNNER_STOP_AT`` and is waiting to be killed.

``KILL_RUNNER_STOP_AT`` (optional) names a flag (``insert-options``, ``commit``) or a flag and a
count (``insert-cards:100``: the 100th such statement); on reaching it the process stops, inside
its transaction, for two minutes, so that a test can kill it at exactly that point.

After the process is killed, no ``commit`` flag means that the transaction was never
committed: the database must be as it was before.
"""
from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

STATEMENT = re.compile(r"\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_counts: Counter[str] = Counter()


def _flags() -> Path:
    return Path(os.environ["KILL_RUNNER_FLAGS"])


def _reached(name: str) -> None:
    """Record that ``name`` happened once more: create its flag the first time, and stop here
    if ``KILL_RUNNER_STOP_AT`` asks for it."""
    _counts[name] += 1
    if _counts[name] == 1:
        (_flags() / name).touch()
    stop_at = os.environ.get("KILL_RUNNER_STOP_AT", "")
    if stop_at in (name if _counts[name] == 1 else None, f"{name}:{_counts[name]}"):
        (_flags() / "stopped").touch()
        time.sleep(120)


@event.listens_for(Engine, "after_cursor_execute")
def _after_execute(conn, cursor, statement, parameters, context, executemany):
    match = STATEMENT.match(statement)
    if match:
        if not _counts["write"]:
            _reached("write")
        _reached(f"{match.group(1).split()[0].lower()}-{match.group(2).lower()}")


@event.listens_for(Engine, "commit")
def _before_commit(conn):
    if _counts["write"]:
        _reached("commit")


def submit(attempt_id: int) -> None:
    """Submit one attempt in an app made with ``config.Config`` (``DATABASE_URL``) and print
    ``submitted=<bool> score=<percent>``.

    Args:
        attempt_id: the attempt's id.
    """
    from studyapp import create_app
    from studyapp.attempting import submit_attempt
    from studyapp.extensions import db
    from studyapp.models import Attempt

    app = create_app("config.Config")
    with app.app_context():
        outcome = submit_attempt(db.session.get(Attempt, attempt_id))
        print(f"submitted={outcome.submitted} score={outcome.score_percent}")


def main(argv: list[str]) -> None:
    """Run ``import PATH SLUG`` or ``submit ATTEMPT_ID``.

    Raises:
        SystemExit: the command's exit status (with a usage message for other arguments).
    """
    if len(argv) == 3 and argv[0] == "import":
        from flask.cli import main as flask_main

        sys.argv = ["flask", "--app", "studyapp", "import", argv[1], "--bank", argv[2]]
        flask_main()
    elif len(argv) == 2 and argv[0] == "submit":
        submit(int(argv[1]))
    else:
        sys.exit("usage: python -m tests.kill_runner import PATH SLUG | submit ATTEMPT_ID")


if __name__ == "__main__":
    main(sys.argv[1:])

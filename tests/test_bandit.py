"""bandit, the security linter, finds nothing in the app's code (the same run as CI's, from ``.bandit``).

Findings that are not problems are justified where they are, ``# nosec BXXX # reason``; each
such line is counted here, so that a new one is looked at rather than slipped in.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)")
JUSTIFIED = re.compile(r" B\d{3} # \S")


def test_bandit_reports_no_issue():
    run = subprocess.run([sys.executable, "-m", "bandit", "--ini", ".bandit", "-q", "-f", "json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.stdout, run.stderr[-2000:]
    report = json.loads(run.stdout)
    issues = [f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert issues == []
    assert report["errors"] == []
    assert run.returncode == 0
    scanned = {name.removeprefix("./") for name in report["metrics"] if name != "_totals"}
    assert {"config.py", "gunicorn.conf.py", "studyapp/__init__.py", "studyapp/admin.py",
            "studyapp/interchange/moodlexml.py"} <= scanned
    assert not [name for name in scanned if name.startswith("tests/")]
    assert report["metrics"]["_totals"]["skipped_tests"] == 16  # the justified lines below


def test_every_nosec_names_its_test_and_a_reason():
    """Each ``# nosec`` says which check it silences and why, and there are exactly the 16 reviewed ones."""
    lines = []
    for path in sorted([ROOT / "config.py", ROOT / "gunicorn.conf.py", *(ROOT / "studyapp").rglob("*.py")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = NOSEC.search(line)
            if match:
                where = f"{path.relative_to(ROOT)}:{number}"
                assert JUSTIFIED.match(match.group("rest")), f"{where}: write '# nosec BXXX # reason'"
                lines.append((where, match.group("rest").split()[0]))
    assert sorted(test for _, test in lines) == ["B105", "B105", "B105", "B105", "B311", "B311", "B311", "B405",
                                                 "B608", "B608", "B608", "B608", "B608", "B608", "B704", "B704"], lines

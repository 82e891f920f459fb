"""``flask`` commands: create-user, first-run-instructor and load-bank (through Flask's CLI runner)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from studyapp.accounts import authenticate
from studyapp.interchange.bankfile import read_bank_file
from studyapp.models import Attempt, Bank, Document, Option, Passage, Question, User

from .conftest import SYMPOSIUM_BANK


@pytest.fixture()
def run(app, db):
    """Return ``run(*args, input=None) -> click Result`` invoking a ``flask`` command."""
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        result = runner.invoke(args=list(args), input=input)
        db.session.rollback()  # read what the command wrote afresh
        return result

    return invoke


def table_counts(db) -> dict[str, int]:
    """Return the number of rows of each content table and of users."""
    db.session.rollback()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Bank, Document, Passage, Question, Option, User)}


def logs_in(client, csrf, email: str, password: str) -> bool:
    """Return True if the login form accepts ``email`` and ``password`` (redirect to /banks)."""
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": csrf(client)})
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/banks"


# -- create-user -------------------------------------------------------------------------

def test_create_user_generates_and_prints_a_working_password_once(run, db, client, csrf):
    """``create-user --role instructor --generate-password`` creates an instructor; the printed password logs in."""
    result = run("create-user", "Teacher@Example.org", "--role", "instructor", "--generate-password")
    assert result.exit_code == 0, result.output
    passwords = re.findall(r"Password \(shown once\): (\S+)", result.output)
    assert len(passwords) == 1
    password = passwords[0]
    assert len(password) >= 16
    assert result.output.count(password) == 1
    user = db.session.scalar(select(User).where(User.email == "teacher@example.org"))
    assert user is not None and user.role == "instructor"
    assert user.display_name == "Teacher"
    assert password not in user.password_hash
    assert "Created instructor teacher@example.org." in result.output
    assert logs_in(client, csrf, "teacher@example.org", password)


def test_create_user_duplicate_email_fails(run, db, make_user):
    """An email already registered (in any case) exits non-zero with a message and creates nobody."""
    make_user(email="taken@example.org")
    before = table_counts(db)["User"]
    result = run("create-user", "TAKEN@example.org", "--generate-password")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert "Password" not in result.output
    assert table_counts(db)["User"] == before


def test_create_user_with_prompted_password(run, db):
    """Without --generate-password the password is prompted twice and not echoed back; a learner is created."""
    result = run("create-user", "learner@example.org", "--name", "Lee", input="a long password 1\na long password 1\n")
    assert result.exit_code == 0, result.output
    assert "a long password 1" not in result.output
    user = authenticate("learner@example.org", "a long password 1")
    assert user is not None
    assert (user.role, user.display_name) == ("learner", "Lee")


def test_create_user_too_short_prompted_password_is_refused(run, db, app):
    """A prompted password shorter than PASSWORD_MIN_LENGTH is refused and nobody is created."""
    result = run("create-user", "short@example.org", input="pw\npw\n")
    assert result.exit_code != 0
    assert f"at least {app.config['PASSWORD_MIN_LENGTH']} characters" in result.output
    assert table_counts(db)["User"] == 0


def test_create_user_mismatched_prompt_is_refused(run, db):
    """Two different typings of the password are refused by the prompt, and nobody is created."""
    result = run("create-user", "typo@example.org", input="a long password 1\na long password 2\n")
    assert result.exit_code != 0
    assert "The two entered values do not match." in result.output
    assert table_counts(db)["User"] == 0


def test_create_user_unknown_role_is_refused(run, db):
    """A role that does not exist is refused by the option's choices."""
    result = run("create-user", "x@example.org", "--role", "superuser", "--generate-password")
    assert result.exit_code == 2
    assert table_counts(db)["User"] == 0


# -- first-run-instructor --------------------------------------------------------------------

def test_first_run_instructor_creates_once(run, db, client, csrf):
    """The first run creates an instructor and prints email and password; the second creates nothing."""
    first = run("first-run-instructor")
    assert first.exit_code == 0, first.output
    email = re.search(r"email:\s+(\S+)", first.output).group(1)
    password = re.search(r"password:\s+(\S+)", first.output).group(1)
    assert email == "instructor@studyapp.local"
    user = db.session.scalar(select(User).where(User.email == email))
    assert user.role == "instructor"
    assert user.check_password(password)

    second = run("first-run-instructor")
    assert second.exit_code == 0
    assert "none created" in second.output
    assert "password" not in second.output.lower()
    assert password not in second.output
    assert table_counts(db)["User"] == 1
    assert logs_in(client, csrf, email, password)


def test_first_run_instructor_does_nothing_when_an_admin_exists(run, db, make_user):
    """Any staff account (here an admin) means no instructor is created."""
    make_user("admin")
    result = run("first-run-instructor")
    assert result.exit_code == 0
    assert "none created" in result.output
    assert table_counts(db)["User"] == 1


def test_first_run_instructor_with_a_taken_email_fails_cleanly(run, db, make_user):
    """If the email belongs to a learner, the command exits 1 with a message, not a traceback."""
    make_user("learner", email="instructor@studyapp.local")
    result = run("first-run-instructor")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "already exists" in result.output
    assert "password:" not in result.output
    assert table_counts(db)["User"] == 1


# -- load-bank -----------------------------------------------------------------------------

def test_load_bank_twice_changes_nothing_the_second_time(run, db):
    """Loading the shipped bank creates its items; loading it again reports 0 created, 0 updated."""
    first = run("load-bank", str(SYMPOSIUM_BANK))
    assert first.exit_code == 0, first.output
    n = table_counts(db)["Question"]
    assert n > 0
    assert f"{n} created, 0 updated, 0 unchanged" in first.output
    counts = table_counts(db)

    second = run("load-bank", str(SYMPOSIUM_BANK))
    assert second.exit_code == 0, second.output
    assert f"0 created, 0 updated, {n} unchanged, 0 passages written" in second.output
    assert table_counts(db) == counts


TINY_SOURCE = "---\nslug: tiny-source\ntitle: Tiny source\n---\n\n## One\n\nFirst passage.\n\nSecond passage.\n"

INVALID_ITEMS = """\
  - id: ok-1
    kind: single_choice
    passage: 1
    stem: "A valid first item."
    options:
      - {text: "Right", key: true}
      - {text: "Wrong"}
    explanation: "Valid."
  - id: ok-2
    kind: true_false
    passage: 2
    stem: "Another valid item."
    key: true
    explanation: "Valid too."
  - id: bad-kind
    kind: essay
    stem: "Write an essay."
    explanation: "No such kind."
  - id: ok-1
    kind: true_false
    stem: "Same id as the first item."
    key: false
    explanation: "Duplicate."
  - id: bad-cloze
    kind: cloze
    stem: "Only ___ gap here."
    gaps: [["one"], ["two"]]
    explanation: "Two gaps listed for one blank."
"""


def write_bank(tmp_path, items: str, slug: str = "broken") -> str:
    """Write a bank file (and its tiny source) in ``tmp_path``; return the bank file's path."""
    (tmp_path / "tiny.md").write_text(TINY_SOURCE)
    path = tmp_path / f"{slug}.yaml"
    path.write_text(f"format: studyapp-bank/1\nslug: {slug}\ntitle: Broken bank\nsource: tiny.md\nitems:\n{items}")
    return str(path)


def test_load_bank_invalid_file_writes_nothing(run, db, tmp_path, symposium_bank):
    """An invalid file exits 1, names the file, each bad item and why, and writes nothing (not even its valid items)."""
    before = table_counts(db)
    path = write_bank(tmp_path, INVALID_ITEMS)
    result = run("load-bank", path)
    assert result.exit_code == 1
    out = result.output
    assert f"Refused {path}" in out
    assert "nothing was written" in out
    kind_line = next(line for line in out.splitlines() if "item bad-kind" in line)
    assert kind_line.strip().startswith(f"{path}:")
    assert "kind" in kind_line and "single_choice" in kind_line
    duplicate = next(line for line in out.splitlines() if "duplicate item id" in line)
    assert "item ok-1" in duplicate
    assert re.search(rf"{re.escape(path)}:\d+: item ok-1: duplicate item id", out)
    cloze = next(line for line in out.splitlines() if "item bad-cloze" in line)
    assert "the stem has 1 gap(s) written ___ but 'gaps' lists 2 list(s)" in cloze
    assert "ok-2" not in out
    assert table_counts(db) == before
    assert db.session.scalar(select(Bank).where(Bank.slug == "broken")) is None
    assert db.session.scalar(select(Document).where(Document.slug == "tiny-source")) is None


def test_load_bank_reports_the_line_of_a_bad_item(run, db, tmp_path):
    """The line given for a bad item is the line where that item starts in the file."""
    path = write_bank(tmp_path, INVALID_ITEMS)
    result = run("load-bank", path)
    text = open(path).read().splitlines()
    line = int(re.search(rf"{re.escape(path)}:(\d+): item bad-cloze", result.output).group(1))
    assert text[line - 1].strip() == "- id: bad-cloze"


def test_load_bank_refuses_the_bad_file_but_loads_a_good_one(run, db, tmp_path):
    """With two files, the good one is loaded and the bad one refused; exit status is 1."""
    bad = write_bank(tmp_path, INVALID_ITEMS)
    result = run("load-bank", bad, str(SYMPOSIUM_BANK))
    assert result.exit_code == 1
    assert f"Refused {bad}" in result.output
    assert db.session.scalar(select(Bank).where(Bank.slug == "harbin-symposium-2023")) is not None
    assert db.session.scalar(select(Bank).where(Bank.slug == "broken")) is None


def test_load_bank_missing_file_is_refused(run, db, tmp_path):
    """A path that does not exist is refused with its name and exit status 1."""
    path = str(tmp_path / "missing.yaml")
    result = run("load-bank", path)
    assert result.exit_code == 1
    assert path in result.output
    assert "cannot read" in result.output


def test_load_bank_edited_stem_updates_in_place(run, db, tmp_path):
    """Reloading a copy with one stem edited reports 1 updated; the row's stem changes, its id does not."""
    assert run("load-bank", str(SYMPOSIUM_BANK)).exit_code == 0
    item = db.session.scalar(select(Question).where(Question.ext_id == "hs23-002"))
    item_id, answer_ids = item.id, [a.id for a in item.accepted_answers]
    old_stem = "Who chaired the symposium?"
    assert item.stem == old_stem

    source = (SYMPOSIUM_BANK.parent / "../sources/harbin-symposium-2023.md").resolve()
    text = SYMPOSIUM_BANK.read_text(encoding="utf-8")
    assert text.count(old_stem) == 1
    text = text.replace(old_stem, "Who presided over the September 2023 symposium?")
    text = re.sub(r"(?m)^source: .*$", f"source: {source}", text)
    copy = tmp_path / "edited.yaml"
    copy.write_text(text, encoding="utf-8")
    counts = table_counts(db)

    result = run("load-bank", str(copy))
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated" in result.output
    item = db.session.get(Question, item_id)
    assert item.stem == "Who presided over the September 2023 symposium?"
    assert [a.id for a in item.accepted_answers] == answer_ids
    assert table_counts(db) == counts


def test_load_bank_new_only_keeps_existing_banks(app, db, tmp_path):
    """--new-only loads a bank that is not there yet and leaves a loaded one (and its edits) alone."""
    from studyapp.models import Question

    runner = app.test_cli_runner()
    first = runner.invoke(args=["load-bank", "--new-only", str(SYMPOSIUM_BANK)])
    shipped = len(read_bank_file(SYMPOSIUM_BANK).items)
    assert first.exit_code == 0 and f"{shipped} created" in first.output
    item = db.session.scalar(select(Question).where(Question.ext_id == "hs23-002"))
    item.explanation = "Edited in the admin."
    db.session.commit()
    again = runner.invoke(args=["load-bank", "--new-only", str(SYMPOSIUM_BANK)])
    assert again.exit_code == 0 and "loaded already; left as it is" in again.output
    db.session.expire_all()
    assert db.session.get(Question, item.id).explanation == "Edited in the admin."


def test_seed_demo_adds_learners_with_scored_attempts(run, db, symposium_bank):
    """``seed-demo`` creates the learners and their submitted attempts; the same seed again adds
    attempts for the same learners only; an unknown bank is refused."""
    result = run("seed-demo", "--learners", "4", "--attempts", "2", "--items", "5")
    assert result.exit_code == 0, result.output
    assert "4 demo learner(s) created; 8 attempt(s) submitted" in result.output
    scores = list(db.session.scalars(select(Attempt.score_percent).where(Attempt.status == "submitted")))
    assert len(scores) == 8 and all(0 <= s <= 100 for s in scores) and len(set(scores)) > 1
    again = run("seed-demo", "--learners", "4", "--attempts", "1", "--items", "5")
    assert "0 demo learner(s) created; 4 attempt(s) submitted" in again.output
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email.like("demo-%"))) == 4
    bad = run("seed-demo", "no-such-bank")
    assert bad.exit_code == 1 and "there is no bank 'no-such-bank'" in bad.output


def test_export_then_import_gives_back_the_bank(run, db, symposium_bank, tmp_path):
    """``export --format json`` carries the study text, so importing it into a new bank gives the same
    items (kinds, stems, keys, answers, explanations, passages); a CSV (passage numbers only) is refused
    by a bank without that text, and imports into one that has it; a dry run writes nothing."""
    from studyapp.interchange.store import bank_records

    out = tmp_path / "bank.csv"
    result = run("export", "harbin-symposium-2023", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0 and "Wrote" in result.output, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    refused = run("import", str(out), "--bank", "copy")
    assert refused.exit_code == 1 and "cites passage 1, but the bank has no source text" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Bank).where(Bank.slug == "copy")) == 0

    whole = tmp_path / "bank.json"
    assert run("export", "harbin-symposium-2023", "--format", "json", "-o", str(whole)).exit_code == 0
    dry = run("import", str(whole), "--bank", "copy", "--dry-run")
    assert dry.exit_code == 0 and "Dry run, nothing was written. Would do: bank copy: 44 created" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Bank).where(Bank.slug == "copy")) == 0
    done = run("import", str(whole), "--bank", "copy")
    assert done.exit_code == 0 and "44 created" in done.output, done.output
    again = run("import", str(out), "--bank", "copy")
    assert again.exit_code == 0 and "0 created, 0 updated, 44 unchanged" in again.output, again.output

    def shape(slug):
        bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
        return [(r.ext_id, r.kind, r.stem, [(o.text, o.is_key) for o in r.options], r.answers, r.explanation,
                 r.passage, r.status, r.origin) for r in bank_records(bank)]

    assert shape("copy") == shape("harbin-symposium-2023")
    copy = db.session.scalar(select(Bank).where(Bank.slug == "copy"))
    assert copy.title == "Northeast China revitalization: the 2023 Harbin symposium"
    assert copy.document.slug == "harbin-symposium-2023"  # the same text, shared, not copied


def test_import_refuses_a_broken_file_with_its_line_and_writes_nothing(run, db, tmp_path):
    """A CSV row with a key out of range stops the import with file, row and reason; nothing is written."""
    bad = tmp_path / "bad.csv"
    bad.write_text("id,kind,stem,options,keys,answers,explanation,passage\n"
                   "q1,single_choice,Pick one.,A | B,1,,Because.,\n"
                   "q2,single_choice,Pick again.,A | B,3,,Because.,\n", encoding="utf-8")
    result = run("import", str(bad), "--bank", "imported")
    assert result.exit_code == 1 and f"{bad}:3" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    unknown = run("import", str(tmp_path / "x.doc"), "--bank", "imported")
    assert unknown.exit_code == 1 and "cannot tell the format" in unknown.output


def test_gift_round_trip_through_the_commands_and_unsupported_kinds_listed(run, db, symposium_bank, tmp_path):
    """The symposium bank exported to GIFT and imported into a new bank gives the same items; a
    GIFT file with an essay question imports the others and lists the essay with its line."""
    from studyapp.interchange.store import bank_records

    out = tmp_path / "bank.gift"
    assert run("export", "harbin-symposium-2023", "--format", "gift", "-o", str(out)).exit_code == 0
    done = run("import", str(out), "--bank", "gift-copy")
    assert done.exit_code == 0 and "44 created" in done.output, done.output

    def shape(slug):
        bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
        return [(r.kind, r.stem, [(o.text, o.is_key) for o in r.options], r.answers, r.explanation)
                for r in bank_records(bank)]

    assert shape("gift-copy") == shape("harbin-symposium-2023")
    mixed = tmp_path / "mixed.gift"
    mixed.write_text("::city::Where was the 2023 symposium held? {=Harbin ~Shenyang ~Dalian}\n\n"
                     "::essay::Write about the Northeast. {}\n", encoding="utf-8")
    result = run("import", str(mixed), "--bank", "mixed")
    assert result.exit_code == 0, result.output
    assert "1 item(s) (1 single_choice)" in result.output and "line 3: essay (essay)" in result.output

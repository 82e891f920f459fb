"""Generating drafts through the CLI and the instructor pages, including bad input."""
import io

import pytest
from sqlalchemy import func, select

from studyapp.generation import MAX_SOURCE_BYTES
from studyapp.models import Bank, Question
from tests.conftest import ROOT

STUDY_TEXT = ROOT / "questions" / "sources" / "harbin-symposium-2023.md"


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_cli_generate_writes_drafts_once(app, db):
    """`flask generate` prints the report and stores drafts; running it again adds none."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["generate", str(STUDY_TEXT), "--bank", "gen-test", "--seed", "3"])
    assert first.exit_code == 0, first.output
    created = count(db, Question)
    assert created >= 20 and f"{created} drafts added" in first.output
    assert set(db.session.scalars(select(Question.status))) == {"draft"}
    assert set(db.session.scalars(select(Question.origin))) == {"generated"}
    again = runner.invoke(args=["generate", str(STUDY_TEXT), "--bank", "gen-test", "--seed", "3"])
    assert again.exit_code == 0 and "0 drafts added" in again.output
    assert count(db, Question) == created


def test_cli_generate_dry_run_writes_nothing(app, db):
    """--dry-run prints the items and writes nothing."""
    result = app.test_cli_runner().invoke(args=["generate", str(STUDY_TEXT), "--bank", "gen-test", "--dry-run"])
    assert result.exit_code == 0 and "Dry run: nothing was written." in result.output
    assert count(db, Question) == 0 and count(db, Bank) == 0


def test_cli_generate_output_writes_a_bank_file_that_loads(app, db, tmp_path):
    """`generate -o FILE` writes the drafts to a bank file (nothing to the database) naming the study
    text as its source; the file reads back to the same items and loads as a bank of drafts."""
    from studyapp.generation import generate
    from studyapp.interchange.bankfile import read_bank_file

    out = tmp_path / "banks" / "gen.yaml"
    out.parent.mkdir()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["generate", str(STUDY_TEXT), "--bank", "gen-test", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert count(db, Question) == 0 and count(db, Bank) == 0
    bank = read_bank_file(out)
    expected = generate(STUDY_TEXT.read_text(encoding="utf-8"), slug="gen-test-source").items
    assert f"Wrote {len(expected)} draft items" in result.output
    assert bank.slug == "gen-test" and bank.title == "Revitalizing Northeast China: the Harbin symposium of September 2023"
    assert [(i.ext_id, i.kind, i.stem, i.passage, i.status, i.origin) for i in bank.items] == \
        [(i.ext_id, i.kind, i.stem, i.passage, "draft", "generated") for i in expected]
    assert [[(o.text, o.is_key) for o in i.options] for i in bank.items] == \
        [[(o.text, o.is_key) for o in i.options] for i in expected]
    assert len(bank.document.passages) == 16
    loaded = runner.invoke(args=["load-bank", str(out)])
    assert loaded.exit_code == 0, loaded.output
    assert count(db, Question) == len(expected)


def test_cli_generate_titles_the_bank_after_the_text(app, db, tmp_path):
    """Without --title, a new bank takes the text's first heading as its title (not its id)."""
    body = STUDY_TEXT.read_text(encoding="utf-8").split("---", 2)[2]
    text = tmp_path / "report.txt"
    text.write_text("Symposium on the Northeast held in Harbin\n\n" + body.replace("## ", ""), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["generate", str(text), "--bank", "gen-test"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Bank.title)) == "Symposium on the Northeast held in Harbin"


def test_cli_generate_output_needs_a_markdown_source(app, db, tmp_path):
    """A bank file's source must be a Markdown study text: a .txt with -o is refused, nothing written."""
    text = tmp_path / "news.txt"
    text.write_text(STUDY_TEXT.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "gen.yaml"
    result = app.test_cli_runner().invoke(args=["generate", str(text), "--bank", "gen-test", "-o", str(out)])
    assert result.exit_code == 1 and "Markdown study text" in result.output
    assert not out.exists()


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"   \n\t\n", ""),
    ("binary.txt", b"\x00\x01\x02binary", ""),
    ("latin1.txt", "Harbin caf\u00e9".encode("latin-1"), ""),
    ("words.txt", b"ok ok ok", ""),
])
def test_cli_generate_bad_files(app, db, tmp_path, name, data, message):
    """Empty, binary, non-UTF-8 and sentence-less files exit 1 with the file name and a reason; nothing is written."""
    path = tmp_path / name
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["generate", str(path), "--bank", "gen-test"])
    assert result.exit_code == 1
    assert str(path) in result.output and "Error:" in result.output
    assert count(db, Question) == 0 and count(db, Bank) == 0


def test_cli_generate_missing_file_and_bad_slug(app, db, tmp_path):
    """A missing file and a bad bank id are refused with a message."""
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["generate", str(tmp_path / "nope.txt"), "--bank", "gen-test"])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    bad = runner.invoke(args=["generate", str(STUDY_TEXT), "--bank", "Bad Slug"])
    assert bad.exit_code == 1 and "lower-case" in bad.output


def post_generate(client, csrf, **fields):
    data = {"bank": "__new__", "new_slug": "web-gen", "new_title": "Web generated", "seed": "0",
            "csrf_token": csrf(client)}
    data.update(fields)
    return client.post("/teach/generate", data=data, content_type="multipart/form-data")


def test_preview_writes_nothing_and_save_stores_drafts(client, csrf, login_as, db):
    """Preview shows the report and items without writing; save stores drafts and opens the review queue."""
    login_as("instructor")
    text = STUDY_TEXT.read_text()
    preview = post_generate(client, csrf, text=text, preview="1")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="report"' in page and "preview-item" in page
    assert count(db, Question) == 0
    saved = post_generate(client, csrf, text=text, save="1")
    assert saved.status_code == 303 and saved.location.endswith("/teach/banks/web-gen/review")
    assert count(db, Question) == page.count('class="card mb-2 preview-item"')


def test_upload_a_markdown_file(client, csrf, login_as, db):
    """An uploaded .md file is read like pasted text."""
    login_as("instructor")
    response = post_generate(client, csrf, file=(io.BytesIO(STUDY_TEXT.read_bytes()), "study.md"), save="1")
    assert response.status_code == 303
    assert count(db, Question) > 0


@pytest.mark.parametrize("fields, status, message", [
    ({"text": "   "}, 400, "Upload a file or paste a text first."),
    ({"file": (io.BytesIO(b"\x00\x01binary"), "x.txt")}, 400, ""),
    ({"file": (io.BytesIO("caf\u00e9".encode("latin-1")), "x.txt")}, 400, ""),
    ({"file": (io.BytesIO(b"word"), "x.pdf")}, 400, ""),
    ({"text": "ok ok ok"}, 400, ""),
    ({"file": (io.BytesIO(b"a" * (MAX_SOURCE_BYTES + 1)), "big.txt")}, 413, "larger than 2 MB"),
    ({"new_slug": "Bad Slug", "text": "The forum met in Harbin."}, 400, "lower-case"),
])
def test_bad_input_on_the_web(client, csrf, login_as, db, fields, status, message):
    """Each bad input gets its status and a readable message, and nothing is written."""
    login_as("instructor")
    response = post_generate(client, csrf, save="1", **fields)
    assert response.status_code == status
    if message:
        assert message in response.get_data(as_text=True)
    assert count(db, Question) == 0 and count(db, Bank) == 0


def test_request_over_the_limit_is_413(client, csrf, login_as, db, app):
    """A body over MAX_CONTENT_LENGTH is refused with 413 before anything runs."""
    login_as("instructor")
    response = post_generate(client, csrf, text="a" * (app.config["MAX_CONTENT_LENGTH"] + 10), save="1")
    assert response.status_code == 413


def test_generate_page_is_for_instructors(client, csrf, login_as, db):
    """Learners get 403 on the page and its POST."""
    login_as("learner")
    assert client.get("/teach/generate").status_code == 403
    assert post_generate(client, csrf, text="The forum met in Harbin.", save="1").status_code == 403
    assert count(db, Question) == 0

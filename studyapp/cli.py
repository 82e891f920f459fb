"""``flask`` commands: load-bank, generate, import, export, seed-demo, fill-scale, close-expired,
statistics-refresh, create-user, first-run-instructor."""
from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import select

from . import accounts
from .accounts import AccountError, create_user, find_user, staff_count
from .interchange.bankfile import BankFileError, read_bank_file
from .extensions import db
from .interchange.store import StoreError, bank_exists, store_bank, store_drafts
from .models import Role


def _write_generated_bank(output: str, source_path: str, slug: str, title: str, result) -> None:
    """Write generated drafts to a bank file that names ``source_path`` as its study text.

    Raises:
        click.ClickException: the source is not a .md study text (a bank file's source must be
            one), or the file cannot be written.
    """
    import os

    from .generation import to_bank_mapping
    from .interchange.bankfile import bank_file_text

    if not source_path.endswith(".md"):
        raise click.ClickException(f"{source_path}: --output needs a Markdown study text (.md) as PATH, "
                                   "which the bank file then names as its source")
    source = os.path.relpath(os.path.abspath(source_path), os.path.dirname(os.path.abspath(output)))
    text = bank_file_text(slug, title, [to_bank_mapping(rec) for rec in result.items],
                          source=source.replace(os.sep, "/"))
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(result.items)} draft items to {output}.")


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app``."""

    @app.cli.command("load-bank")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
    @click.option("--new-only", is_flag=True,
                  help="Only load banks that are not in the database yet (keeps edits made in the admin).")
    def load_bank(paths: tuple[str, ...], new_only: bool) -> None:
        """Load (or update) banks from YAML bank files; each file is one transaction.

        A file that fails validation is refused with file, line, item id and reason,
        and nothing of it is written. Exit status 1 if any file was refused.
        """
        failed = False
        for path in paths:
            try:
                record = read_bank_file(path)
                if new_only and bank_exists(record.slug):
                    click.echo(f"{path}: bank {record.slug} is loaded already; left as it is "
                               "(load-bank without --new-only applies the file's changes)")
                    continue
                report = store_bank(record)
            except BankFileError as exc:
                failed = True
                click.echo(f"Refused {path} ({len(exc.problems)} problems); nothing was written:", err=True)
                for problem in exc.problems:
                    click.echo("  " + BankFileError.format(problem), err=True)
            except StoreError as exc:
                failed = True
                click.echo(f"Refused {path}: {exc}", err=True)
            else:
                click.echo(f"{path}: {report.summary()}")
        if failed:
            sys.exit(1)

    @app.cli.command("import")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--bank", "bank_slug", required=True, help="Bank to import into (created if needed).")
    @click.option("--format", "fmt", default=None,
                  help="gift, aiken, xml, csv, json or yaml (default: from the file's extension).")
    @click.option("--title", default="", help="Title of the bank if it is created (default: the file's, else the id).")
    @click.option("--as-drafts", is_flag=True, help="Items the bank does not have yet become drafts (review queue).")
    @click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
    def import_cmd(path: str, bank_slug: str, fmt: str | None, title: str, as_drafts: bool, dry_run: bool) -> None:
        """Import items from a file into a bank, in one transaction (all or nothing)."""
        from .interchange.errors import InterchangeError
        from pathlib import Path

        from .interchange.formats import format_for, read_file
        from .interchange.sourcetext import SLUG
        from .interchange.store import import_items

        if not SLUG.fullmatch(bank_slug):
            raise click.ClickException(f"--bank {bank_slug!r}: use 2 to 64 lower-case letters, digits and '-'")
        try:
            fmt_obj = format_for(path, fmt)
            with open(path, "rb") as fh:
                parsed = read_file(fmt_obj, fh.read(), path, base_dir=Path(path).parent)
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot read: {exc.strerror or exc}") from None
        except InterchangeError as exc:
            raise click.ClickException(str(exc)) from None
        kinds: dict[str, int] = {}
        for rec in parsed.items:
            kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
        click.echo(f"{path}: {len(parsed.items)} item(s) ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
        if parsed.not_supported:
            click.echo(f"Not imported, kinds studyapp does not support yet ({len(parsed.not_supported)}):")
            for line in parsed.not_supported:
                click.echo(f"  {line}")
        for note in parsed.notes:
            click.echo(f"Note: {note}")
        if dry_run:
            for rec in parsed.items:
                click.echo(f"  [{rec.kind}] {rec.ext_id}: {rec.stem[:80]}")
        try:
            report = import_items(bank_slug, parsed.items, document=parsed.document, title=title or parsed.title,
                                  description=parsed.description, carries=parsed.carries,
                                  new_status="draft" if as_drafts else None,
                                  dry_run=dry_run)
        except StoreError as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        if dry_run:
            click.echo(f"Dry run, nothing was written. Would do: {report.summary()}")
        else:
            click.echo(report.summary())

    @app.cli.command("export")
    @click.argument("bank_slug")
    @click.option("--format", "fmt", required=True, help="gift, aiken, xml, csv, json, yaml or apkg (Anki).")
    @click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False))
    def export_cmd(bank_slug: str, fmt: str, output: str) -> None:
        """Export a bank's current items to a file (items a format cannot carry are listed)."""
        from .interchange.errors import InterchangeError
        from .interchange.formats import format_for
        from .interchange.store import bank_record
        from .models import Bank

        bank = db.session.scalar(select(Bank).where(Bank.slug == bank_slug))
        if bank is None:
            raise click.ClickException(f"there is no bank {bank_slug!r}")
        try:
            data, skipped = format_for(output, fmt).write(bank_record(bank))
        except InterchangeError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise click.ClickException(f"{output}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"Wrote {output}." + (f" Not in this format ({len(skipped)}): {', '.join(skipped)}" if skipped else ""))

    @app.cli.command("seed-demo")
    @click.argument("bank_slug", default="harbin-symposium-2023")
    @click.option("--learners", default=12, show_default=True, type=click.IntRange(1, 500))
    @click.option("--attempts", "attempts_each", default=2, show_default=True, type=click.IntRange(1, 20))
    @click.option("--items", default=10, show_default=True, type=click.IntRange(1, 100))
    @click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**31 - 1))
    def seed_demo_cmd(bank_slug: str, learners: int, attempts_each: int, items: int, seed: int) -> None:
        """Add demo learners with submitted attempts on a bank (for item statistics and the gradebook)."""
        from .demo import DemoError, seed_demo

        try:
            created, submitted = seed_demo(bank_slug, learners, attempts_each, items, seed)
        except DemoError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{created} demo learner(s) created; {submitted} attempt(s) submitted on {bank_slug}.")

    @app.cli.command("fill-scale")
    @click.option("--learners", default=10_000, show_default=True, type=click.IntRange(1, 10_000_000))
    @click.option("--items", default=2_000, show_default=True, type=click.IntRange(1, 1_000_000),
                  help="Items in all, across the banks (the first bank holds half).")
    @click.option("--responses", default=1_000_000, show_default=True, type=click.IntRange(0, 1_000_000_000),
                  help="Responses in all, in submitted attempts (about 1% more attempt items are left unanswered).")
    @click.option("--banks", default=4, show_default=True, type=click.IntRange(1, 50))
    @click.option("--per-attempt", default=20, show_default=True, type=click.IntRange(1, 100),
                  help="Items per attempt.")
    @click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120),
                  help="How far back the attempts go.")
    @click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**31 - 1))
    @click.option("--password", default=None,
                  help="The password of every account made (default: generated and printed once).")
    @click.option("--yes", is_flag=True, help="Fill even though the database has users already.")
    def fill_scale_cmd(learners: int, items: int, responses: int, banks: int, per_attempt: int, months: int,
                       seed: int, password: str | None, yes: bool) -> None:
        """Fill the database with synthetic learners, items and responses for benchmarks, in one
        transaction (COPY on PostgreSQL, executemany on SQLite). Refuses a database with users
        unless --yes, and always one that holds scale data already."""
        from flask import current_app
        from werkzeug.security import generate_password_hash

        from .scalefill import INSTRUCTOR_EMAIL, ScaleError, ScaleSpec, fill_scale

        spec = ScaleSpec(learners=learners, items=items, responses=responses, banks=banks,
                         per_attempt=per_attempt, months=months, seed=seed)
        generated = password is None
        if generated:
            password = accounts.generate_password()
        # Hashed once; every account made stores this one hash (scrypt for 10,000 accounts would
        # take minutes).
        password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
        db.session.remove()  # the fill takes its own connection; hold no other transaction open

        def progress(done: int, total: int, seconds: float) -> None:
            click.echo(f"  {done:,} of {total:,} responses ({seconds:.0f} s)")

        click.echo(f"Filling {db.engine.url.render_as_string(hide_password=True)}: {learners:,} learners, "
                   f"{items:,} items in {banks} bank(s), {responses:,} responses (seed {seed}) ...")
        try:
            report = fill_scale(db.engine, spec, password_hash, allow_users=yes,
                                retention=current_app.config.get("FSRS_DESIRED_RETENTION", 0.9), progress=progress)
        except ScaleError as exc:
            raise click.ClickException(f"{exc}. Nothing was written.") from None
        for table, n in report.rows.items():
            click.echo(f"  {table:<18} {n:>12,}")
        click.echo(f"Wrote {report.total_rows:,} rows in {report.seconds:.1f} s "
                   f"({report.rows_per_second:,.0f} rows/s) on {report.dialect}, in one transaction.")
        click.echo(f"Learners scale-{1:0{max(5, len(str(learners)))}d}@scale.invalid ... and the instructor "
                   f"{INSTRUCTOR_EMAIL} share one password.")
        if generated:
            click.echo(f"Password (shown once): {password}")

    @app.cli.command("close-expired")
    def close_expired_cmd() -> None:
        """Submit every timed exam whose time is up, with the answers saved before the deadline
        (run it from cron; the pages also do it for the learner who opens them)."""
        from .attempting import close_expired

        closed = close_expired()
        click.echo(f"{closed} expired attempt(s) closed.")

    @app.cli.command("statistics-refresh")
    @click.option("--bank", "bank_slug", default=None,
                  help="Only this bank (default: every bank, and all together).")
    @click.option("--mode", "modes", multiple=True, type=click.Choice(["exam", "practice", "review"]),
                  help="Attempt modes to count (repeat it; default: exam and practice, as the pages).")
    def statistics_refresh_cmd(bank_slug: str | None, modes: tuple[str, ...]) -> None:
        """Compute and store item statistics now (run it from cron, e.g. every 15 minutes, so that
        the statistics pages and the instructor's home never compute them while someone waits)."""
        from .models import Bank
        from .statistics import DEFAULT_MODES
        from .stored_statistics import bank_scope, refresh

        bank = None
        if bank_slug is not None:
            bank = db.session.scalar(select(Bank).where(Bank.slug == bank_slug))
            if bank is None:
                raise click.ClickException(f"There is no bank {bank_slug!r}.")
        slugs = {bank_scope(b.id): f"bank {b.slug}" for b in db.session.scalars(select(Bank))}
        for scope, fresh in refresh(bank, modes or DEFAULT_MODES):
            click.echo(f"{slugs.get(scope, 'every bank')}: {fresh.attempts} submitted attempt(s) "
                       f"counted in {fresh.seconds:.2f} s.")

    @app.cli.command("generate")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--bank", "bank_slug", required=True, help="Bank to add the drafts to (created if needed).")
    @click.option("--title", default=None, help="Title of a new bank (default: the text's title).")
    @click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**31 - 1))
    @click.option("--max", "max_items", default=None, type=click.IntRange(1, 100000),
                  help="At most this many items.")
    @click.option("--dry-run", is_flag=True, help="Print the report and the items; write nothing.")
    @click.option("--output", "-o", "output", default=None, type=click.Path(dir_okay=False),
                  help="Write the drafts to this bank file (YAML) instead of the database, to review "
                       "and edit them as a file (the source path inside is relative to it).")
    def generate_cmd(path: str, bank_slug: str, title: str | None, seed: int, max_items: int | None,
                     dry_run: bool, output: str | None) -> None:
        """Generate draft items from a .txt, .md or .html file and add them to a bank's review queue
        (or, with --output, write them to a bank file)."""
        from .generation import MAX_SOURCE_BYTES, GenerationInputError, bank_title, generate, read_source
        from .interchange.sourcetext import SLUG

        if not SLUG.match(bank_slug):
            raise click.ClickException(f"--bank {bank_slug!r}: use lower-case letters, digits and '-'")
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_SOURCE_BYTES + 1)
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            text = read_source(data, path)
            result = generate(text, title=title or "", slug=f"{bank_slug}-source", seed=seed,
                              max_items=max_items)
        except GenerationInputError as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        click.echo(result.report.format())
        if dry_run:
            for rec in result.items:
                click.echo(f"[{rec.kind} §{rec.passage}] {rec.stem}")
            click.echo("Dry run: nothing was written.")
            return
        if output:
            _write_generated_bank(output, path, bank_slug, title or bank_title(result.document, bank_slug), result)
            return
        try:
            report = store_drafts(bank_slug, title or bank_title(result.document, bank_slug), result.document,
                                  result.items)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(report.summary())

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value)
    @click.option("--name", "display_name", default=None, help="Display name (default: the part before @).")
    @click.option("--generate-password", is_flag=True, help="Generate a password and print it once.")
    def create_user_cmd(email: str, role: str, display_name: str | None, generate_password: bool) -> None:
        """Create an account; the password is read without echo, or generated and printed once."""
        from flask import current_app

        generate = generate_password
        if find_user(email):
            raise click.ClickException(f"an account with email {email} already exists")
        if generate:
            password = accounts.generate_password()
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
                raise click.ClickException(
                    f"the password needs at least {current_app.config['PASSWORD_MIN_LENGTH']} characters")
        try:
            user = create_user(email, display_name or email.split("@")[0], password, role)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.role} {user.email}.")
        if generate:
            click.echo(f"Password (shown once): {password}")

    @app.cli.command("first-run-instructor")
    @click.option("--email", default="instructor@studyapp.local", show_default=True)
    def first_run_instructor(email: str) -> None:
        """Create an instructor account if there is no staff account yet, and print its password once."""
        if staff_count():
            click.echo("An instructor account exists already; none created.")
            return
        password = accounts.generate_password()
        try:
            create_user(email, "Instructor", password, Role.INSTRUCTOR)
        except AccountError as exc:
            raise click.ClickException(f"{exc} ({email}); pass another --email") from None
        click.echo("=" * 60)
        click.echo("Instructor account created (the password is shown only now):")
        click.echo(f"  email:    {email}")
        click.echo(f"  password: {password}")
        click.echo("=" * 60)

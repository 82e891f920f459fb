"""Configuration, the application factory and the migrations."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import config
from studyapp import create_app
from studyapp.extensions import db as _db


def test_production_config_refuses_missing_or_weak_secret(monkeypatch):
    """ProductionConfig will not start without a real SECRET_KEY and a DATABASE_URL."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(config.ProductionConfig)


def test_development_secret_key_is_generated_once(tmp_path, monkeypatch):
    """Without SECRET_KEY the development config makes a random key once and keeps it in instance/."""
    from studyapp import _dev_secret_key

    first = _dev_secret_key(str(tmp_path))
    assert len(first) == 64 and first == _dev_secret_key(str(tmp_path))
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg3():
    """postgres:// and postgresql:// URLs are mapped to the psycopg 3 driver."""
    assert config.normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert config.normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert config.normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_two_apps_can_be_created():
    """The factory can run twice (Flask-Admin is created per app)."""
    a, b = create_app(config.TestConfig), create_app(config.TestConfig)
    assert a is not b and "admin.index" in b.view_functions


def test_migrations_match_the_models(db):
    """The schema built by the migrations equals the models' metadata (no missing migration)."""
    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), _db.metadata)
    assert diff == []

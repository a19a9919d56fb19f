"""Fixtures shared by every test: a project folder with its config, and real databases.

``database_url`` runs a test on SQLite, and again on PostgreSQL when
``GATEWAY_TEST_POSTGRES_URL`` is set (each test gets its own schema there).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings, load_settings
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory, normalise_url

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("GATEWAY_TEST_POSTGRES_URL", "")


@contextmanager
def fresh_database_url(kind: str, folder: Path) -> Iterator[str]:
    """A URL of an empty database: SQLite in ``folder``, or a PostgreSQL schema of its own
    (dropped afterwards); skips the PostgreSQL case when no server was given."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'var' / 'gateway.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("GATEWAY_TEST_POSTGRES_URL is not set")
    name = f"gwtest_{secrets.token_hex(6)}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: SQLite in tmp_path, or a fresh PostgreSQL schema."""
    with fresh_database_url(request.param, tmp_path) as url:
        yield url


@dataclass
class Project:
    """A gateway installation in a temporary folder, as an operator would lay it out."""

    root: Path
    config: Path
    database_url: str

    def settings(self, **env: str) -> Settings:
        return load_settings(self.config, environ=env)

    def write_config(self, text_: str) -> None:
        self.config.write_text(text_)


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> Project:
    """Config file, schemas and spool folders in tmp_path; the database not yet created."""
    root = tmp_path
    shutil.copytree(REPO / "schemas", root / "schemas", dirs_exist_ok=True)
    config = root / "config.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n[demo]\nenabled = false\n[log]\nformat = "json"\n')
    return Project(root=root, config=config, database_url=database_url)


@pytest.fixture
def engine(project: Project) -> Iterator[Engine]:
    """The project's database, migrated to the current schema."""
    engine = make_engine(project.database_url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory on the migrated database."""
    return make_session_factory(engine)

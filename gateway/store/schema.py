"""Creating, migrating and checking the database schema (Alembic, driven from code).

Each area has its own Alembic branch (``core``, ``exchange``, ``intake``, ``sftp``, ``web``)
rooted on the core revision, so migrations of different areas never conflict; the database
is current when every branch head is applied.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from gateway.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if engine is not None:
        config.attributes["engine"] = engine  # kept for helpers that need it
    return config


def expected_heads() -> set[str]:
    """The head revision of every branch shipped with this version."""
    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def current_heads(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a new database)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> tuple[set[str], set[str]]:
    """Applies every pending migration; returns (revisions before, revisions after)."""
    before = current_heads(engine)
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return before, current_heads(engine)


def require_current(engine: Engine) -> None:
    """Raises :class:`DatabaseError` unless the schema is at every expected head."""
    try:
        current = current_heads(engine)
    except Exception as exc:  # connection refused, bad credentials ...
        raise DatabaseError(f"cannot reach the database: {exc}", code="DB-001") from exc
    expected = expected_heads()
    if current != expected:
        state = "empty" if not current else "out of date"
        raise DatabaseError(
            f"the database schema is {state} (at {sorted(current) or 'nothing'}, "
            f"expected {sorted(expected)}); run: gateway db upgrade",
            code="DB-002",
        )

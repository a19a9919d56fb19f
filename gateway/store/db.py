"""Engine and session factory for SQLite (embedded default) and PostgreSQL (several nodes).

SQLite is opened in WAL mode with foreign keys on and a busy timeout, so that the SFTP
server, the workers and the web interface of one process (or of several processes on one
machine) can share it. ``postgresql://`` URLs use psycopg 3.

A new SQLite database is created ``0600`` in a ``0700`` folder before SQLite opens it: it
holds matricules, IBANs and password hashes, and SQLite gives its ``-wal`` and ``-shm``
files the mode of the database file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import DatabaseSettings, declared
from gateway.store.files import FILE_MODE, make_folder


def normalise_url(url: str) -> str:
    """``postgresql://`` -> ``postgresql+psycopg://`` (the driver this project ships)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite engine."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = declared(DatabaseSettings, "busy_timeout_ms")) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            pool_size=20,
            max_overflow=40,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
            # "BEGIN IMMEDIATE" below takes the write lock up front.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # Writers take the lock when they begin, so two writers never deadlock on an
            # upgrade from a read lock; this is what makes claiming work safe on SQLite.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def create_private(database: Path) -> None:
    """Creates an empty SQLite file (a valid empty database) with :data:`FILE_MODE` if missing."""
    make_folder(database.parent)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    except FileExistsError:
        pass


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (they are passed on as values)."""
    return sessionmaker(engine, expire_on_commit=False)


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    """The engine ``sessions`` are bound to (for Core statements on hot paths, without a session)."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine):
        raise TypeError("sessions are not bound to an engine")
    return engine


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def read_sessions(url: str, busy_timeout_ms: int) -> sessionmaker[Session] | None:
    """Sessions for lookups only, on SQLite; None elsewhere (the usual sessions serve).

    The shared SQLite engine opens every transaction with ``BEGIN IMMEDIATE`` (right for
    writers), which would queue each login lookup and held-name check behind every commit.
    These connections read without taking the write lock (WAL readers never block) and
    refuse to write.
    """
    if not url or make_url(normalise_url(url)).get_backend_name() != "sqlite":
        return None
    engine = create_engine(
        normalise_url(url),
        pool_size=20,
        max_overflow=40,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return make_session_factory(engine)


def affected(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched (-1 when the driver cannot tell).

    ``Session.execute`` returns a ``CursorResult`` for those statements, which alone has
    ``rowcount``, but its annotation says only ``Result``.
    """
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount

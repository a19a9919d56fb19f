"""Fixtures of the client tests: example CSVs, the local database on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.client.store import open_store
from gateway.clock import FixedClock

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SCHEMAS = REPO / "schemas"
TIMEZONE = "Europe/Luxembourg"
#: the examples bill October 2026; files are made in mid-November
NOW = dt.datetime(2026, 11, 15, 8, 30, tzinfo=dt.UTC)
PROVIDERS = {"LAB": "31000425", "KINE": "45001237", "DIET": "47000070"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def local_db(database_url: str) -> Iterator[sessionmaker[Session]]:
    """The provider's local database (SQLite, and PostgreSQL when configured), created empty."""
    engine, sessions = open_store(database_url)
    yield sessions
    engine.dispose()


@pytest.fixture
def live(project, engine, sessions, tmp_path):
    """The gateway's SFTP server on a free port, with the provider's key not yet trusted."""
    from .live import start_gateway

    gateway = start_gateway(project, engine, sessions, tmp_path)
    yield gateway
    gateway.stop()


@pytest.fixture
def live_with_workers(project, engine, sessions, tmp_path):
    """The gateway's SFTP server and its workers: uploads are checked and answered."""
    from .live import start_gateway

    gateway = start_gateway(project, engine, sessions, tmp_path, roles=("sftp", "worker"))
    yield gateway
    gateway.stop()


@pytest.fixture
def memory_sftp(sftpserver):
    """pytest-sftpserver's in-memory server, its session threads made daemons.

    Its handler thread waits for the SSH transport to end; after a link cut by the tests that
    can take long, and a non-daemon thread would keep the test run from exiting.
    """
    sftpserver.daemon_threads = True
    return sftpserver

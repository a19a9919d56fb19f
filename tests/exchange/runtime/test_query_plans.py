"""The statements made for every file read an index, not the history kept behind them.

A check's history lookups and the publishers' queue must cost the same for a provider's first
file and for its 50,000th (bench/history_bench.py gives the figures). Each test runs the real
calls on SQLite, records the statements they send, and reads SQLite's plan of each: no full
scan of a table, no search by provider alone, no sort, and the index made for the lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gateway.exchange.checks.model import ActKey
from gateway.exchange.runtime.forwarding import outbox
from gateway.exchange.runtime.history import DatabaseHistory
from tests.exchange.runtime.conftest import KINE


@pytest.fixture
def sqlite_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "sqlite":
        pytest.skip("the plans are read with SQLite's EXPLAIN QUERY PLAN")
    return engine


def plans_of(engine: Engine, call: Callable[[], Any]) -> list[tuple[str, list[str]]]:
    """(statement, plan steps) of every SELECT, UPDATE and DELETE that ``call()`` sends."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as connection:
        return [
            (statement, [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)])
            for statement, parameters in sent
        ]


def assert_indexed(plans: list[tuple[str, list[str]]], table: str, index: str) -> None:
    """Every plan reads ``table`` through an index, ``index`` among them, never whole or sorted."""
    assert plans, "no statement was sent"
    used = []
    for statement, plan in plans:
        steps = [step for step in plan if f" {table}" in step]
        assert all("USING" in step for step in steps), (statement, plan)  # a bare SCAN reads the table whole
        assert not any("TEMP B-TREE" in step for step in plan), (statement, plan)
        assert not any("ix_request_files_provider_code" in step for step in plan), (statement, plan)
        used += steps
    assert any(f"INDEX {index}" in step for step in used), plans


def test_the_history_lookups_read_the_index_made_for_each(runtime, sqlite_engine):
    bounded = DatabaseHistory(runtime.sessions, act_key=runtime.act_key, before_id=10)
    every = DatabaseHistory(runtime.sessions, act_key=runtime.act_key)
    act = frozenset({ActKey("1985010112345", "K101", "2026-11-02")})
    lookups = {
        "ix_request_files_sha256": lambda h: h.identical_file(KINE, "0" * 64),
        "ix_request_files_sequence": lambda h: h.last_sequence(KINE, "KINE"),
        "ix_request_files_id_fichier": lambda h: h.id_fichier_used(KINE, "a-new-id"),
    }
    for index, lookup in lookups.items():
        for history in (bounded, every):
            plans = plans_of(sqlite_engine, lambda f=lookup, h=history: f(h))
            assert_indexed(plans, "request_files", index)
    for history in (bounded, every):
        plans = plans_of(sqlite_engine, lambda h=history: h.accepted_acts(KINE, act))
        assert_indexed(plans, "accepted_acts", "ix_accepted_acts_lookup")


def test_the_publishers_read_only_the_waiting_rows_of_the_outbox(runtime, sqlite_engine):
    now = dt.datetime.now(dt.UTC)

    def backlog() -> None:
        with runtime.sessions() as session:
            outbox.backlog(session)

    calls = [
        lambda: outbox.claim_batch(runtime.sessions, "p", now=now, lease_s=60, limit=10),
        lambda: outbox.renew(runtime.sessions, "p", now=now, lease_s=60),
        lambda: outbox.release(runtime.sessions, "p"),
        backlog,
    ]
    for call in calls:
        assert_indexed(plans_of(sqlite_engine, call), "forwarding_outbox", "ix_forwarding_outbox_queue")

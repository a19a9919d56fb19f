"""Claiming: one provider's files one at a time in order of receipt, leases, dead claimants."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from gateway.clock import utcnow
from gateway.exchange.runtime.claims import ProcessIdentity, free_dead_local_claims, release, renew_leases
from gateway.store.models.exchange import RequestFile
from tests.exchange.runtime.conftest import DIET, KINE, LAB, claim, request


def test_only_the_oldest_unfinished_file_of_a_provider_is_claimable(runtime):
    k1 = runtime.deposit(KINE, *request("KINE", sequence=1))
    k2 = runtime.deposit(KINE, *request("KINE", sequence=2, first_record=2))
    l1 = runtime.deposit(LAB, *request("LAB", sequence=1))
    first = claim(runtime, "h:1:a:0")
    second = claim(runtime, "h:1:a:1")
    assert (first.file_id, second.file_id) == (k1, l1)
    assert claim(runtime, "h:1:a:2") is None  # k2 waits for k1
    runtime.processor().process(first)
    assert claim(runtime, "h:1:a:2").file_id == k2


def test_a_lapsed_lease_lets_another_worker_resume_the_file(runtime):
    file_id = runtime.deposit(KINE, *request("KINE"))
    assert claim(runtime, "h:1:a:0").file_id == file_id
    assert claim(runtime, "h:2:b:0") is None
    resumed = claim(runtime, "h:2:b:0", now=utcnow() + dt.timedelta(seconds=31))
    assert resumed.file_id == file_id and resumed.claimant == "h:2:b:0" and resumed.stored_at.startswith("archive:")


def test_renewing_keeps_a_claim_alive(runtime):
    identity = ProcessIdentity("h", 1, "tok")
    runtime.deposit(KINE, *request("KINE"))
    claim(runtime, identity.claimant(0))
    later = utcnow() + dt.timedelta(seconds=25)
    assert renew_leases(runtime.sessions, identity, now=later, lease_s=30) == 1
    assert claim(runtime, "h:2:b:0", now=later + dt.timedelta(seconds=10)) is None


def test_claims_of_dead_local_processes_are_freed_at_start(runtime):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    me = ProcessIdentity.current()
    mine = runtime.deposit(KINE, *request("KINE"))
    theirs = runtime.deposit(LAB, *request("LAB"))
    elsewhere = runtime.deposit(DIET, *request("DIET"))
    claim(runtime, me.claimant(0))
    claim(runtime, f"{me.host}:{dead.pid}:old:0")
    claim(runtime, "another-host:1:x:0")
    freed = free_dead_local_claims(runtime.sessions, me, now=utcnow())
    assert freed == [theirs]
    with runtime.sessions() as session:
        assert session.get(RequestFile, mine).lease_until > utcnow()
        assert session.get(RequestFile, elsewhere).lease_until > utcnow()
    assert claim(runtime, "h:9:z:0").file_id == theirs


def test_a_released_claim_is_not_renewed_and_comes_back_at_its_retry_time(runtime):
    identity = ProcessIdentity("h", 1, "tok")
    file_id = runtime.deposit(KINE, *request("KINE"))
    claimed = claim(runtime, identity.claimant(0))
    retry_at = utcnow() + dt.timedelta(seconds=30)
    release(runtime.sessions, claimed, retry_at=retry_at)
    assert renew_leases(runtime.sessions, identity, now=utcnow(), lease_s=3600) == 0
    assert claim(runtime, "h:2:b:0") is None
    assert claim(runtime, "h:2:b:0", now=retry_at + dt.timedelta(seconds=1)).file_id == file_id


def test_freeing_dead_claims_never_frees_a_claim_taken_meanwhile(runtime, engine):
    # PostgreSQL reads without locking: the freeing transaction could read a dead process's claim,
    # wait on the row while a live worker claimed it, then overwrite the fresh lease with "now",
    # and a second worker claimed the file again (an attempt counted twice after a restart).
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises the two transactions (BEGIN IMMEDIATE): no interleaving")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    me = ProcessIdentity.current()
    file_id = runtime.deposit(KINE, *request("KINE"))
    claim(runtime, f"{me.host}:{dead.pid}:old:0")
    lease = utcnow() + dt.timedelta(seconds=30)
    files = RequestFile.__table__
    with engine.connect() as live:  # a live worker's claim, not committed yet: it holds the row
        live.execute(files.update().where(files.c.id == file_id).values(claimed_by=me.claimant(0), lease_until=lease))
        freed: list[list[int]] = []
        freeing = threading.Thread(
            target=lambda: freed.append(free_dead_local_claims(runtime.sessions, me, now=utcnow()))
        )
        freeing.start()
        # until the freeing transaction waits on the row; each look in its own transaction, since
        # PostgreSQL keeps one snapshot of pg_stat_activity for the whole of a transaction
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            deadline = time.monotonic() + 30
            while not watch.execute(waiting).scalar() and freeing.is_alive():
                assert time.monotonic() < deadline, "the freeing transaction never waited on the row"
                time.sleep(0.01)
        live.commit()
    freeing.join()
    assert freed == [[]]
    with runtime.sessions() as session:
        row = session.get(RequestFile, file_id)
        assert (row.claimed_by, row.lease_until) == (me.claimant(0), lease)
    assert claim(runtime, "h:9:z:0") is None

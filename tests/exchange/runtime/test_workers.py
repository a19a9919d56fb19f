"""Worker threads: many files at once, order per provider, providers in parallel, clean stop."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter, defaultdict

import pytest
from sqlalchemy import event, select

from gateway.clock import utcnow
from gateway.exchange.runtime.reception import register_received
from gateway.store.models.exchange import ForwardedRecord, RequestFile
from tests.exchange.runtime.conftest import EXTRA_KINE, KINE, LAB, request
from tests.support import wait_until


class Tracking:
    """Wraps the checks to see, per provider, the order of files and how many were in hand at once."""

    def __init__(self, inner, hold=None) -> None:
        self.inner = inner
        self.hold = hold or (lambda received: None)
        self.lock = threading.Lock()
        self.in_hand: Counter = Counter()
        self.most_in_hand: Counter = Counter()
        self.order: dict[str, list[int]] = defaultdict(list)

    def check(self, received, history):
        code = received.provider_code
        with self.lock:
            self.in_hand[code] += 1
            self.most_in_hand[code] = max(self.most_in_hand[code], self.in_hand[code])
            self.order[code].append(int(received.path.name.split("-", 1)[0]))
        try:
            self.hold(received)
            return self.inner.check(received, history)
        finally:
            with self.lock:
                self.in_hand[code] -= 1


def deposit_many(rt, per_provider: int) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = defaultdict(list)
    for n in range(1, per_provider + 1):
        for code in [KINE, *EXTRA_KINE]:
            ids[code].append(rt.deposit(code, *request("KINE", provider=code, sequence=n, first_record=n)))
        ids[LAB].append(rt.deposit(LAB, *request("LAB", sequence=n, first_record=n)))
    return ids


def forwarded(rt) -> list[tuple[int, int]]:
    with rt.sessions() as session:
        return session.execute(select(ForwardedRecord.request_file_id, ForwardedRecord.record_position)).all()


def test_many_files_are_answered_once_in_order_per_provider(runtime):
    ids = deposit_many(runtime, per_provider=6)
    runtime.checker = tracking = Tracking(runtime.checker)
    runtime.workers(4)
    wait_until(runtime.all_answered, timeout_s=60)
    assert {row.status for row in runtime.rows()} == {"ACCEPTE"}
    for code, expected in ids.items():
        assert tracking.order[code] == expected, code
        assert tracking.most_in_hand[code] == 1
    rows = forwarded(runtime)
    assert len(rows) == len(set(rows)) == sum(len(v) for v in ids.values())


def test_different_providers_are_checked_in_parallel(runtime):
    lab_started = threading.Event()
    seen_together = []

    def hold(received):
        if received.provider_code == LAB:
            lab_started.set()
        else:  # a KINE file waits for the LAB file to start beside it
            seen_together.append(lab_started.wait(10))

    runtime.checker = Tracking(runtime.checker, hold)
    runtime.deposit(KINE, *request("KINE"))
    runtime.deposit(LAB, *request("LAB"))
    runtime.workers(2)
    wait_until(runtime.all_answered, timeout_s=30)
    assert seen_together == [True]


def test_stop_finishes_the_file_in_hand(runtime):
    entered, release = threading.Event(), threading.Event()

    def hold(received):
        entered.set()
        release.wait(10)

    runtime.checker = Tracking(runtime.checker, hold)
    runtime.deposit(KINE, *request("KINE"))
    service = runtime.workers(1)
    runtime.services.remove(service)
    assert entered.wait(10)
    stopper = threading.Thread(target=service.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert not stopper.is_alive()
    assert [row.state for row in runtime.rows()] == ["ANSWERED"]


def test_a_registration_wakes_idle_workers_without_waiting_for_the_poll(runtime):
    runtime.workers(1, poll_interval=3600.0)
    runtime.deposit(KINE, *request("KINE"))
    wait_until(runtime.all_answered, timeout_s=30)  # a poll would take an hour


@pytest.mark.parametrize("services", [pytest.param(2, id="two-processes-two-threads")])
def test_several_worker_services_share_the_queue_without_overlap(runtime, engine, services):
    """On PostgreSQL this is SKIP LOCKED at work; on SQLite, BEGIN IMMEDIATE."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    ids = deposit_many(runtime, per_provider=5)
    runtime.checker = tracking = Tracking(runtime.checker)
    started = [runtime.workers(2) for _ in range(services)]
    assert len({s.identity.token for s in started}) == services
    wait_until(runtime.all_answered, timeout_s=90)
    for code, expected in ids.items():
        assert tracking.order[code] == expected
        assert tracking.most_in_hand[code] == 1
    rows = forwarded(runtime)
    assert len(rows) == len(set(rows)) == sum(len(v) for v in ids.values())
    with runtime.sessions() as session:
        claimants = session.scalars(select(RequestFile.claimed_by).distinct()).all()
    # both services took files (the token names the service, the last part its thread)
    assert len({c.rsplit(":", 1)[0] for c in claimants}) == services
    if engine.dialect.name == "postgresql":
        assert any("FOR UPDATE SKIP LOCKED" in sql for sql in statements)


def test_a_file_whose_check_fails_is_retried_later(runtime):
    failures = []

    def fail_once(received):
        if not failures:
            failures.append(received.name)
            raise RuntimeError("simulated internal error")

    runtime.checker = Tracking(runtime.checker, fail_once)
    runtime.deposit(KINE, *request("KINE"))
    runtime.workers(1, lease_s=1.0)
    wait_until(runtime.all_answered, timeout_s=30)
    (row,) = runtime.rows()
    assert failures and row.attempts == 2 and row.status == "ACCEPTE"


def test_inbox_events_wake_workers_for_files_registered_by_another_process(runtime):
    runtime.workers(1, poll_interval=3600.0, watch_inbox=True)
    name, data = request("KINE")
    # registered as another process's SFTP server does it: temp file, link, commit, unlink
    folder = runtime.spool.inbox / KINE
    (folder / ".upload-x").write_bytes(data)
    os.link(folder / ".upload-x", folder / name)
    with runtime.sessions() as session, session.begin():
        register_received(
            session,
            provider_code=KINE,
            name=name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            received_at=utcnow(),
            source="sftp",
        )
        session.info.pop("gateway.exchange.new_request_file", None)  # as if committed elsewhere
    os.unlink(folder / ".upload-x")
    wait_until(runtime.all_answered, timeout_s=30)  # a poll would take an hour

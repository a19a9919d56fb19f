"""The watcher: files written into a real inbox folder by other means, taken once complete."""

from __future__ import annotations

import hashlib
import os

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.exchange.runtime.adopt import Adoption, adopt
from gateway.exchange.runtime.reception import register_received
from gateway.exchange.runtime.watcher import WatcherService
from gateway.store.db import transaction
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import RequestFile
from tests.exchange.runtime.conftest import KINE, LAB, claim, listing, request
from tests.support import wait_until

QUIET = 0.3


@pytest.fixture
def watcher(runtime):
    service = WatcherService(runtime.sessions, runtime.spool, quiet_period=QUIET, rescan_interval=3600)
    service.start()
    yield service
    service.stop()


def registered(rt) -> dict[str, RequestFile]:
    return {row.name: row for row in rt.rows()}


def test_a_file_renamed_into_place_is_registered(runtime, watcher):
    counted = REGISTRY.get_sample_value("gateway_files_received_total", {"source": "watcher"}) or 0.0
    name, data = request("KINE")
    temp = runtime.spool.inbox / KINE / ".sync-temp"
    temp.write_bytes(data)
    os.rename(temp, runtime.spool.inbox / KINE / name)
    row = wait_until(lambda: registered(runtime).get(name))
    assert (row.source, row.size, row.state) == ("watcher", len(data), "RECEIVED")
    assert REGISTRY.get_sample_value("gateway_files_received_total", {"source": "watcher"}) == counted + 1


def test_a_file_written_in_place_is_taken_whole_after_its_close(runtime, watcher):
    name, data = request("LAB", records=200)
    with open(runtime.spool.inbox / LAB / name, "wb") as handle:
        for start in range(0, len(data), 4096):
            handle.write(data[start : start + 4096])
            handle.flush()
    row = wait_until(lambda: registered(runtime).get(name))
    assert row.size == len(data)


def test_part_and_hidden_files_are_never_taken(runtime, watcher):
    folder = runtime.spool.inbox / KINE
    (folder / "upload.xml.part").write_bytes(b"half")
    (folder / ".hidden").write_bytes(b"tmp")
    name, data = request("KINE")
    (folder / name).write_bytes(data)  # written after them: once it is taken, they were considered
    wait_until(lambda: registered(runtime).get(name))
    assert set(registered(runtime)) == {name}
    assert listing(folder) == sorted([".hidden", name, "upload.xml.part"])


def test_a_name_outside_the_pattern_is_moved_aside_and_recorded(runtime, watcher):
    bad = "facture novembre.xml"
    (runtime.spool.inbox / KINE / bad).write_bytes(b"<x/>")

    def recorded():
        with runtime.sessions() as session:
            return session.scalar(select(AuditEvent.action).where(AuditEvent.target_id == bad))

    assert wait_until(recorded) == "exchange.aside"
    (moved,) = listing(runtime.spool.aside / KINE)
    assert moved.endswith(bad) and registered(runtime) == {} and listing(runtime.spool.inbox / KINE) == []


def test_a_copy_under_a_held_name_is_moved_aside(runtime, watcher):
    name, data = request("KINE")
    runtime.deposit(KINE, name, data)
    runtime.processor().process(claim(runtime))
    (runtime.spool.inbox / KINE / name).write_bytes(data)  # its response is still in /outbox
    wait_until(lambda: listing(runtime.spool.aside / KINE))
    assert len(runtime.rows()) == 1


def test_an_over_size_file_is_registered_and_answered_with_fic_003(runtime, watcher):
    name, data = request("KINE", records=3000)
    assert len(data) > 1_000_000
    (runtime.spool.inbox / KINE / name).write_bytes(data)
    wait_until(lambda: registered(runtime).get(name), timeout_s=10)
    runtime.workers(1)
    wait_until(runtime.all_answered, timeout_s=30)
    assert registered(runtime)[name].status == "REJETE"
    assert b"FIC-003" in runtime.response(KINE, name)


def test_a_file_the_sftp_server_is_still_registering_is_left_to_it(runtime, watcher):
    """The SFTP server links its temp file onto the final name and unlinks it once registered."""
    folder = runtime.spool.inbox / KINE
    name, data = request("KINE")
    (folder / ".upload-1234").write_bytes(data)
    os.link(folder / ".upload-1234", folder / name)
    other, other_data = request("KINE", sequence=2, first_record=2)
    (folder / other).write_bytes(other_data)
    wait_until(lambda: registered(runtime).get(other))
    assert name not in registered(runtime)
    # the server now registers its file, then removes its temp name
    with transaction(runtime.sessions) as session:
        register_received(
            session,
            provider_code=KINE,
            name=name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            received_at=utcnow(),
            source="sftp",
        )
    os.unlink(folder / ".upload-1234")
    assert adopt(runtime.sessions, runtime.spool, KINE, name, now=utcnow()).result == Adoption.OWNED
    assert registered(runtime)[name].source == "sftp"


def test_files_present_at_start_are_found_by_the_rescan(runtime):
    name, data = request("KINE")
    (runtime.spool.inbox / KINE / name).write_bytes(data)
    (runtime.spool.inbox / "99999999").mkdir()  # not a provider: left alone
    (runtime.spool.inbox / "99999999" / name).write_bytes(data)
    service = WatcherService(runtime.sessions, runtime.spool, quiet_period=QUIET, rescan_interval=3600)
    service.start()
    try:
        row = wait_until(lambda: registered(runtime).get(name))
    finally:
        service.stop()
    assert row.provider_code == KINE and len(runtime.rows()) == 1

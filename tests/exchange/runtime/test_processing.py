"""One file's way: archive, check, response once, final state; and resuming each step."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from gateway.clock import utcnow
from gateway.exchange.errors import ClaimLost, FileMissing
from gateway.exchange.runtime.reception import response_name_for
from gateway.store.models.exchange import AcceptedAct, FileState, ForwardedRecord, RequestFile, RequestFinding
from tests.exchange.runtime.conftest import KINE, LAB, claim, listing, process_all, request


def count(rt, model) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_file_is_archived_answered_and_forwarded(runtime):
    name, data = request("KINE", records=2)
    file_id = runtime.deposit(KINE, name, data)
    (result,) = process_all(runtime)
    assert result.status == "ACCEPTE" and result.forwarded == 2
    assert listing(runtime.spool.inbox / KINE) == []
    assert listing(runtime.spool.outbox / KINE) == [response_name_for(name)]
    (row,) = runtime.rows()
    assert row.state == FileState.ANSWERED and row.status == "ACCEPTE" and row.mode == "PRODUCTION"
    assert row.stored_at.startswith("archive:") and runtime.spool.resolve(row.stored_at).read_bytes() == data
    archived = runtime.spool.archived_response(row.stored_at, file_id, row.response_name)
    assert archived.read_bytes() == runtime.response(KINE, name)
    assert row.records_received == 2 and row.records_accepted == 2 and row.sequence == 1
    assert count(runtime, ForwardedRecord) == 2 and count(runtime, AcceptedAct) >= 2


def test_a_test_file_is_checked_but_never_forwarded_nor_numbered(runtime):
    name, data = request("KINE", sequence=1, mode="TEST")
    runtime.deposit(KINE, name, data)
    runtime.deposit(KINE, *request("KINE", sequence=1, records=1, first_record=5, stamp="20261115100000"))
    first, second = process_all(runtime)
    assert first.status == "ACCEPTE" and first.forwarded == 0
    # the TEST file took no sequence number: the production file may carry 1 again
    assert second.status == "ACCEPTE" and second.forwarded == 1
    assert count(runtime, ForwardedRecord) == 1


def test_identical_bytes_are_a_doublon_naming_the_earlier_file(runtime):
    name, data = request("LAB")
    first = runtime.deposit(LAB, name, data)
    runtime.deposit(LAB, "copy-of-it.xml", data)
    results = process_all(runtime)
    assert [r.status for r in results] == ["ACCEPTE", "DOUBLON"]
    assert runtime.rows()[1].duplicate_of_id == first
    assert count(runtime, ForwardedRecord) == 1


def test_history_judges_sequence_and_duplicate_acts(runtime):
    runtime.deposit(KINE, *request("KINE", sequence=5))
    runtime.deposit(KINE, *request("KINE", sequence=4, first_record=2))  # not above 5
    runtime.deposit(KINE, *request("KINE", sequence=6))  # same record (acts) as the first file
    results = process_all(runtime)
    assert [r.status for r in results] == ["ACCEPTE", "REJETE", "REJETE"]
    with runtime.sessions() as session:
        codes = session.scalars(select(RequestFinding.code).order_by(RequestFinding.id)).all()
    assert "ENT-004" in codes and "DUP-002" in codes


def test_a_response_written_before_a_crash_is_kept_and_the_state_committed_once(runtime):
    name, data = request("KINE", records=3)
    runtime.deposit(KINE, name, data)
    processor = runtime.processor()
    first = claim(runtime, "host:1:dead:0")
    ref = processor.archive(first)
    outcome, _ = processor.check(first, ref)
    processor.respond(first, ref, outcome)
    written = runtime.spool.outbox_file(KINE, first.response_name)
    before = (written.read_bytes(), written.stat().st_ino)
    # the first worker dies here; once its lease lapses another one takes the file over
    later = utcnow() + dt.timedelta(seconds=31)
    second = claim(runtime, "host:2:alive:0", now=later)
    assert second is not None and second.file_id == first.file_id and second.attempts == 2
    result = processor.process(second)
    assert result.response_existed and result.forwarded == 3
    assert (written.read_bytes(), written.stat().st_ino) == before
    with pytest.raises(ClaimLost):
        processor.commit(first, outcome, processed_at=utcnow(), check_seconds=0.0)
    assert count(runtime, ForwardedRecord) == 3


def test_a_file_moved_to_the_archive_before_a_crash_is_found_there(runtime):
    name, data = request("KINE")
    runtime.deposit(KINE, name, data)
    processor = runtime.processor()
    first = claim(runtime, "host:1:dead:0")
    ref = processor.archive(first)
    assert listing(runtime.spool.inbox / KINE) == []
    # the crash came while the response was being written: its temp file is left behind
    response = runtime.spool.archived_response(ref, first.file_id, first.response_name)
    stale = response.with_name(f".tmp-0123456789abcdef-{response.name}")
    stale.write_bytes(b"<Reponse")
    second = claim(runtime, "host:2:alive:0", now=utcnow() + dt.timedelta(seconds=31))
    assert processor.process(second).status == "ACCEPTE"
    assert not stale.exists() and response.exists()


def test_a_registered_file_that_vanished_is_reported_not_answered(runtime):
    name, data = request("KINE")
    runtime.deposit(KINE, name, data)
    runtime.spool.inbox_file(KINE, name).unlink()
    with pytest.raises(FileMissing):
        runtime.processor().process(claim(runtime))
    assert runtime.rows()[0].state == FileState.PROCESSING
    assert listing(runtime.spool.outbox / KINE) == []


def test_a_name_without_xml_ending_gets_the_whole_name_before_rep(runtime):
    _, data = request("KINE")
    runtime.deposit(KINE, "facture-novembre", data)
    process_all(runtime)
    assert listing(runtime.spool.outbox / KINE) == ["facture-novembre_REP.xml"]
    with runtime.sessions() as session:
        assert session.scalar(select(RequestFile.status)) is not None


def test_each_answer_is_counted_in_the_metrics(runtime):
    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        value("gateway_responses_total", convention="KINE", status="REJETE"),
        value("gateway_findings_total", code="ENT-004", severity="FATAL"),
        value("gateway_deposit_to_response_seconds_count"),
        value("gateway_check_seconds_count"),
    )
    runtime.deposit(KINE, *request("KINE", sequence=3))
    runtime.deposit(KINE, *request("KINE", sequence=2, first_record=4))
    process_all(runtime)
    after = (
        value("gateway_responses_total", convention="KINE", status="REJETE"),
        value("gateway_findings_total", code="ENT-004", severity="FATAL"),
        value("gateway_deposit_to_response_seconds_count"),
        value("gateway_check_seconds_count"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 2, 2]

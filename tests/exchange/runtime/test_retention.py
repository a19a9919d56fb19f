"""Purge: files and personal data go after retention; what later checks need stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.clock import utcnow
from gateway.exchange.runtime.reception import response_name_for
from gateway.exchange.runtime.retention import purge_exchange
from gateway.store.models.exchange import ForwardedRecord, RequestFile, RequestFinding
from tests.exchange.runtime.conftest import KINE, LAB, listing, process_all, request

RECENT = utcnow()
#: the purge runs 800 days after the old files were received (time rules judge against recuLe)
LATER = RECENT + dt.timedelta(days=800)
LONG_AGO = RECENT - dt.timedelta(seconds=1)


def purge(rt, dry_run=False):
    return purge_exchange(rt.sessions, spool=rt.spool, now=LATER, retention_days=730, dry_run=dry_run)


def test_purge_deletes_old_files_and_personal_data_but_keeps_what_checks_need(runtime):
    name, data = request("KINE", sequence=4, records=2)
    runtime.deposit(KINE, name, data, received_at=LONG_AGO)
    runtime.deposit(LAB, *request("LAB"), received_at=LATER - dt.timedelta(days=10))  # recent: untouched
    runtime.deposit(KINE, "bad.xml", b"not xml", received_at=LONG_AGO)  # has a finding
    process_all(runtime)
    (runtime.spool.aside / KINE).mkdir(parents=True)
    report = purge(runtime)
    assert report.files == 2 and report.deleted_paths == 6
    assert listing(runtime.spool.outbox / KINE) == [] and len(listing(runtime.spool.outbox / LAB)) == 1
    with runtime.sessions() as session:
        old = session.scalars(
            select(RequestFile).where(RequestFile.provider_code == KINE).order_by(RequestFile.id)
        ).all()
        assert all(r.purged_at and r.collected_at for r in old)
        assert (old[0].sequence, old[0].status, len(old[0].sha256)) == (4, "ACCEPTE", 64) and old[0].id_fichier
        assert session.scalars(
            select(ForwardedRecord.matricule).where(ForwardedRecord.provider_code == KINE)
        ).all() == [None, None]
        assert set(session.scalars(select(RequestFinding.value))) <= {None}
        assert session.scalar(select(RequestFile.purged_at).where(RequestFile.provider_code == LAB)) is None
    # the same bytes again: still a DOUBLON; the same acts with the next number: still DUP-002
    runtime.deposit(KINE, "again.xml", data)
    runtime.deposit(KINE, *request("KINE", sequence=5, records=1))
    runtime.deposit(KINE, *request("KINE", sequence=4, records=1, first_record=9))
    statuses = [r.status for r in process_all(runtime)]
    assert statuses == ["DOUBLON", "REJETE", "REJETE"]
    assert b"DUP-002" in runtime.response(KINE, request("KINE", sequence=5)[0])
    assert b"ENT-004" in runtime.response(KINE, request("KINE", sequence=4, first_record=9)[0])


def test_a_dry_run_changes_nothing(runtime):
    name, data = request("KINE")
    runtime.deposit(KINE, name, data, received_at=LONG_AGO)
    process_all(runtime)
    report = purge(runtime, dry_run=True)
    assert report.files == 1 and report.deleted_paths == 3
    assert listing(runtime.spool.outbox / KINE) == [response_name_for(name)]
    assert runtime.rows()[0].purged_at is None

"""Importing responses into the local database, idempotently, and the status drawn from it."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.client.importer import ImportResult, import_responses
from gateway.client.ledger import record_pushed
from gateway.client.pull import ResponseSchema
from gateway.client.status import summarise
from gateway.client.store import ClientBase, LocalFinding, LocalResponse

from .conftest import NOW, SCHEMAS
from .responses import DUPLICATE, PARTIAL, REJECTED, accepted_response, example, response_name


@pytest.fixture
def schema():
    return ResponseSchema(SCHEMAS)


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "responses"
    folder.mkdir()
    for name in (PARTIAL, REJECTED, DUPLICATE):
        (folder / name).write_bytes(example(name))
    return folder


def dump(sessions) -> dict[str, list[tuple]]:
    """Every row of every client table (ids included), to compare before and after."""
    with sessions() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)))
            for table in ClientBase.metadata.sorted_tables
        }


def test_files_records_and_errors_are_stored(local_db, folder, schema):
    results = import_responses(folder, local_db, schema)
    assert [(r.path.name, r.result, r.status) for r in results] == [
        (PARTIAL, ImportResult.IMPORTED, "PARTIELLEMENT_ACCEPTE"),
        (REJECTED, ImportResult.IMPORTED, "REJETE"),
        (DUPLICATE, ImportResult.IMPORTED, "DOUBLON"),
    ]
    with local_db() as session:
        partial, rejected, duplicate = session.scalars(select(LocalResponse).order_by(LocalResponse.id)).all()
        assert (
            partial.request_name,
            partial.sequence,
            partial.mode,
            partial.records_rejected,
            partial.amount_accepted,
        ) == ("KINE_FACT_45001237_20261115093000_000124.xml", 124, "PRODUCTION", 1, Decimal("61.70"))
        assert partial.received_at == dt.datetime(2026, 11, 15, 8, 30, 2, tzinfo=dt.UTC)
        assert [(r.record_id, r.reference, r.status) for r in partial.records] == [
            (1, "INV-2026-0042", "ACCEPTE"),
            (2, "INV-2026-0043", "REJETE"),
        ]
        warning, error = partial.errors
        assert (warning.code, warning.severity, warning.line, warning.path, warning.value, warning.record) == (
            "ENT-005",
            "AVERTISSEMENT",
            4,
            "/Facturation/Entete/NumeroSequence",
            "124",
            None,
        )
        assert (error.code, error.record.record_id, error.value, error.line) == ("MAT-004", 2, "1893120105733", 31)
        assert error.message_en == "The 13th digit is not the Verhoeff check digit."
        assert error.message_fr.startswith("Le 13e chiffre")
        [fatal] = rejected.errors
        assert (fatal.code, fatal.severity, fatal.line, fatal.column, fatal.path, fatal.value) == (
            "XML-001",
            "FATAL",
            3,
            17,
            None,
            None,
        )
        assert rejected.mode is None and rejected.records == [] and rejected.records_received is None
        assert duplicate.duplicate_of == "KINE_FACT_45001237_20261115093000_000124.xml" and not duplicate.errors
        assert session.scalar(select(LocalFinding.id).where(LocalFinding.response_id == duplicate.id)) is None


def test_importing_twice_changes_nothing(local_db, folder, schema):
    import_responses(folder, local_db, schema)
    before = dump(local_db)
    (folder / "copy_of_REP.xml").write_bytes(example(PARTIAL))  # the same response under another name
    again = import_responses(folder, local_db, schema)
    assert {r.result for r in again} == {ImportResult.KNOWN}
    assert dump(local_db) == before


def test_an_invalid_response_is_reported_and_not_imported(local_db, folder, schema):
    (folder / "BROKEN_REP.xml").write_bytes(example(PARTIAL).replace(b"<Statut>PARTIELLEMENT_ACCEPTE", b"<Statut>X"))
    results = {r.path.name: r for r in import_responses(folder, local_db, schema)}
    assert results["BROKEN_REP.xml"].result is ImportResult.INVALID and results["BROKEN_REP.xml"].problem
    with local_db() as session:
        assert len(session.scalars(select(LocalResponse)).all()) == 3


def test_status_follows_each_file_from_made_to_answered(local_db, tmp_path, schema):
    files = {}
    for sequence in (1, 2):
        path = tmp_path / "outgoing" / f"KINE_FACT_45001237_2026111509300{sequence}_00000{sequence}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(f"<Facturation n='{sequence}'/>".encode())
        files[sequence] = path
    record_pushed(local_db, files[1], NOW)
    record_pushed(local_db, files[2], NOW)
    folder = tmp_path / "responses"
    folder.mkdir()
    digest = hashlib.sha256(files[1].read_bytes()).hexdigest()
    (folder / response_name(files[1].name)).write_bytes(accepted_response(files[1].name, digest, records=2))
    # a response to another file of the same name (other bytes) does not answer ours
    (folder / "other_REP.xml").write_bytes(accepted_response(files[2].name, "f" * 64))
    import_responses(folder, local_db, schema)
    summary = summarise(local_db, show_all=True)
    assert {k: v for k, v in summary.counts.items() if v} == {"pending": 1, "ACCEPTE": 2}
    by_name = {(f.name, f.state) for f in summary.files}
    assert (files[1].name, "ACCEPTE") in by_name and (files[2].name, "pending") in by_name
    assert (files[2].name, "ACCEPTE") in by_name  # the other sender's file, counted as answered
    assert summarise(local_db).files == [f for f in summary.files if f.state != "ACCEPTE"]

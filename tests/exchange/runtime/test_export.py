"""``gateway forwarded export``: read-only, --since exclusive, ids only increase, exactly once."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import delete, func, select

from gateway.cli.context import AppContext
from gateway.cli.exchange import _pages
from gateway.store.db import transaction
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import ForwardedRecord
from tests.exchange.runtime.conftest import DIET, KINE, LAB, process_all, request
from tests.support import run_gateway

COLUMNS = ["id", "provider", "convention", "file_name", "id_fichier", "record_id", "reference", "matricule", "amount"]


def export(project, *args: str) -> str:
    result = run_gateway("forwarded", "export", *args, config=project.config)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_export_lists_each_accepted_record_once_with_the_columns_operators_expect(project, runtime):
    runtime.deposit(KINE, *request("KINE", records=2))
    runtime.deposit(LAB, *request("LAB", records=1))
    runtime.deposit(DIET, *request("DIET", records=1, mode="TEST"))  # never forwarded
    process_all(runtime)
    rows = list(csv.DictReader(io.StringIO(export(project))))
    assert [r["provider"] for r in rows] == [KINE, KINE, LAB]
    assert set(COLUMNS) <= set(rows[0])
    assert [r["record_id"] for r in rows] == ["1", "2", "1"]
    assert all(len(r["matricule"]) == 13 and "." in r["amount"] for r in rows)
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 3
    after_first = [json.loads(line) for line in export(project, "--since", str(ids[0]), "--format", "jsonl").splitlines()]
    assert [r["id"] for r in after_first] == ids[1:]


def test_export_changes_nothing(project, runtime):
    runtime.deposit(KINE, *request("KINE"))
    process_all(runtime)

    def state():
        with runtime.sessions() as session:
            return (session.scalar(select(func.count()).select_from(AuditEvent)),
                    session.execute(select(ForwardedRecord.id, ForwardedRecord.withdrawn_at)).all())

    before = state()
    assert export(project).count("\n") == 2  # the header and the record
    assert state() == before


def test_ids_are_never_reused_even_after_rows_are_deleted(runtime):
    runtime.deposit(KINE, *request("KINE", sequence=1, records=2))
    process_all(runtime)
    with transaction(runtime.sessions) as session:
        highest = session.scalar(select(func.max(ForwardedRecord.id)))
        session.execute(delete(ForwardedRecord))
    runtime.deposit(KINE, *request("KINE", sequence=2, first_record=3))
    process_all(runtime)
    with runtime.sessions() as session:
        assert session.scalar(select(func.min(ForwardedRecord.id))) > highest


def test_the_export_reads_page_by_page_without_losing_or_repeating_a_record(project, runtime):
    runtime.deposit(KINE, *request("KINE", records=5))
    process_all(runtime)
    context = AppContext(project.settings())
    ids = [record.id for record in _pages(context, 0, page=2)]
    assert len(ids) == len(set(ids)) == 5 and ids == sorted(ids)
    assert [record.id for record in _pages(context, ids[1], page=2)] == ids[2:]
    context.engine.dispose()

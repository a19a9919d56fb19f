"""``gateway forwarded export``: whole records, read-only, --since exclusive, ids only increase.

Every record is checked against schemas/forwarded-record-1.0.json with the jsonschema library,
as the export, the REST feed and the broker all carry the same document.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import jsonschema
import pytest
from sqlalchemy import delete, func, select

from gateway.cli.context import AppContext
from gateway.cli.forwarded import pages
from gateway.clock import utcnow
from gateway.exchange.checks.model import EmptyHistory, Received, RecordDetail
from gateway.exchange.runtime.retention import purge_exchange
from gateway.store.db import transaction
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import ForwardedRecord
from tests.conftest import REPO
from tests.exchange import samples
from tests.exchange.runtime.conftest import DIET, KINE, LAB, process_all, request
from tests.support import run_gateway

COLUMNS = ["id", "provider", "convention", "file_name", "id_fichier", "record_id", "reference", "matricule", "amount"]
RECORD_SCHEMA = json.loads((REPO / "schemas" / "forwarded-record-1.0.json").read_text())


def export(project, *args: str) -> str:
    result = run_gateway("forwarded", "export", *args, config=project.config)
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate(document: dict) -> None:
    """Fails the test unless ``document`` is valid against the published JSON Schema."""
    jsonschema.Draft202012Validator(RECORD_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)


def lab_home_file() -> tuple[str, bytes]:
    """A LAB file whose one record was sampled at home and bills the home sampling (L0901)."""
    record = samples.Record(
        id="7",
        reference="LB-88213",
        place="DOMICILE",
        sampled_at="2026-10-03T08:15:00+02:00",
        acts=(samples.Act("L0101"), samples.Act("L0901"), samples.Act("L0301", amount=Decimal("2.55"))),
    )
    header = samples.Header(convention="LAB", sequence=3, id_fichier="0b7e5f2d-8d2b-4c57-9a43-3f1c6a0e1c88")
    return samples.file_name("LAB", sequence=3), samples.build_request(header, [record])


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
    after_first = [
        json.loads(line) for line in export(project, "--since", str(ids[0]), "--format", "jsonl").splitlines()
    ]
    assert [r["id"] for r in after_first] == ids[1:]


def test_each_record_carries_what_the_back_office_pays_from(project, runtime):
    runtime.deposit(KINE, *request("KINE", records=1))
    runtime.deposit(LAB, *lab_home_file())
    runtime.deposit(DIET, *request("DIET", records=1))
    process_all(runtime)
    kine, lab, diet = [json.loads(line) for line in export(project, "--format", "jsonl").splitlines()]
    for document in (kine, lab, diet):
        validate(document)
        assert document["nomenclature_version"] == "1.0" and document["sequence"] is not None
        assert sum(Decimal(act["amount"]) for act in document["acts"]) == Decimal(document["amount"])
    assert kine["prescription"] == {"physician": samples.PHYSICIAN, "date": "2026-10-01", "sessions_prescribed": 9}
    assert kine["sampling"] is None
    assert [(a["line"], a["code"], a["date"], a["quantity"], a["unit_tariff"], a["amount"]) for a in kine["acts"]] == [
        (1, "K101", "2026-10-03", 1, "30.85", "30.85"),
        (2, "K101", "2026-10-07", 1, "30.85", "30.85"),
    ]
    assert lab["record_id"] == "7" and lab["reference"] == "LB-88213" and lab["provider"] == LAB
    assert lab["sampling"] == {"at": "2026-10-03T08:15:00+02:00", "place": "DOMICILE", "home": True}
    assert lab["prescription"]["sessions_prescribed"] is None
    assert [(a["code"], a["date"], a["quantity"], a["unit_tariff"], a["amount"]) for a in lab["acts"]] == [
        ("L0101", "2026-10-03", 1, "9.85", "9.85"),
        ("L0901", "2026-10-03", 1, "7.50", "7.50"),
        ("L0301", "2026-10-03", 1, "2.55", "2.55"),
    ]
    assert [a["performer"] for a in diet["acts"]] == [samples.DIETITIAN]
    assert diet["id_fichier"] and diet["file_name"].startswith("DIET_FACT_")


def test_the_schema_refuses_a_record_without_its_acts_details():
    """The published schema is a real check: it refuses documents a consumer could not pay from."""
    good = {
        "type": "record",
        "schema_version": "1.0",
        "id": 1,
        "provider": KINE,
        "convention": "KINE",
        "file_name": "KINE_FACT_45001237_20261115093000_000001.xml",
        "id_fichier": "3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88",
        "sequence": 1,
        "received_at": "2026-11-15T08:30:00+00:00",
        "record_id": "1",
        "record_position": 1,
        "reference": "R-1",
        "status": "ACCEPTE",
        "matricule": "1893120105732",
        "prescription": {"physician": "10042117", "date": "2026-10-01", "sessions_prescribed": 9},
        "sampling": None,
        "acts": [
            {
                "line": 1,
                "code": "K101",
                "date": "2026-10-03",
                "quantity": 1,
                "unit_tariff": "30.85",
                "amount": "30.85",
                "performer": None,
            }
        ],
        "amount": "30.85",
        "nomenclature_version": "1.0",
        "forwarded_at": "2026-11-15T08:30:01+00:00",
    }
    validate(good)
    for broken in (
        {**good, "acts": [{k: v for k, v in good["acts"][0].items() if k != "unit_tariff"}]},
        {**good, "prescription": None},
        {**good, "amount": "30.9"},
        {**good, "convention": "DIET", "acts": [{**good["acts"][0], "code": "D102"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_csv_keeps_one_row_per_record_and_csv_acts_one_row_per_act(project, runtime):
    runtime.deposit(KINE, *request("KINE", records=2))
    runtime.deposit(LAB, *lab_home_file())
    process_all(runtime)
    records = list(csv.DictReader(io.StringIO(export(project))))
    assert len(records) == 3 and [r["act_count"] for r in records] == ["2", "2", "3"]
    assert records[2]["home_sampling"] == "true" and records[2]["sampling_place"] == "DOMICILE"
    assert [a["code"] for a in json.loads(records[2]["acts"])] == ["L0101", "L0901", "L0301"]
    acts = list(csv.DictReader(io.StringIO(export(project, "--format", "csv-acts"))))
    assert len(acts) == 7 and set(COLUMNS) <= set(acts[0])
    assert [(a["record_id"], a["act_line"], a["act_code"]) for a in acts[:2]] == [
        ("1", "1", "K101"),
        ("1", "2", "K101"),
    ]
    lab_rows = [a for a in acts if a["provider"] == LAB]
    assert [
        (a["act_code"], a["act_quantity"], a["act_unit_tariff"], a["act_amount"], a["amount"]) for a in lab_rows
    ] == [
        ("L0101", "1", "9.85", "9.85", "19.90"),
        ("L0901", "1", "7.50", "7.50", "19.90"),
        ("L0301", "1", "2.55", "2.55", "19.90"),
    ]
    assert {a["matricule"] for a in lab_rows} == {records[2]["matricule"]}


def test_export_changes_nothing(project, runtime):
    runtime.deposit(KINE, *request("KINE"))
    process_all(runtime)

    def state():
        with runtime.sessions() as session:
            return (
                session.scalar(select(func.count()).select_from(AuditEvent)),
                session.execute(select(ForwardedRecord.id, ForwardedRecord.withdrawn_at)).all(),
            )

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
    ids = [record["id"] for record in pages(context, 0, page=2)]
    assert len(ids) == len(set(ids)) == 5 and ids == sorted(ids)
    assert [record["id"] for record in pages(context, ids[1], page=2)] == ids[2:]
    context.engine.dispose()


def test_purge_erases_the_personal_data_of_forwarded_records(project, runtime):
    runtime.deposit(KINE, *request("KINE"))
    process_all(runtime)
    purge_exchange(runtime.sessions, spool=runtime.spool, now=utcnow() + dt.timedelta(days=800), retention_days=730)
    (document,) = [json.loads(line) for line in export(project, "--format", "jsonl").splitlines()]
    validate(document)
    assert document["matricule"] is None and document["prescription"] is None and document["acts"] == []
    assert document["amount"] == "61.70" and document["reference"] == "INV-000001"


def test_only_accepted_records_of_production_files_are_captured(tmp_path, runtime):
    """Stage 4 keeps the detail of what will be forwarded, nothing else (memory)."""

    def check(convention: str, mode: str, records: list[samples.Record]):
        header = samples.Header(convention=convention, mode=mode)
        path = tmp_path / f"{convention}-{mode}.xml"
        path.write_bytes(samples.build_request(header, records))
        received = Received(
            name=samples.file_name(convention),
            provider_code=samples.PROVIDERS[convention],
            profession=convention,
            received_at=dt.datetime(2026, 11, 15, 9, tzinfo=dt.UTC),
            size=path.stat().st_size,
            sha256="0" * 64,
            path=path,
        )
        return runtime.checker.check(received, EmptyHistory())

    good, bad = samples.default_record("DIET", 1), samples.default_record("DIET", 2)
    bad = samples.Record(id=bad.id, reference=bad.reference, matricule=bad.matricule, acts=(samples.Act("D999"),))
    production = check("DIET", "PRODUCTION", [good, bad])
    assert [r.status.value for r in production.records] == ["ACCEPTE", "REJETE"]
    detail = RecordDetail.unpack(production.records[0].detail)
    assert (detail.physician, detail.acts[0].code, detail.acts[0].performer) == (
        samples.PHYSICIAN,
        "D102",
        samples.DIETITIAN,
    )
    assert production.records[1].detail is None
    assert all(r.detail is None for r in check("DIET", "TEST", [good]).records)


def test_the_rest_feed_carries_the_same_whole_records_as_the_export(project, runtime, tmp_path):
    from gateway.web.staff import create_api_key
    from tests.web.conftest import start_site

    runtime.deposit(KINE, *request("KINE", records=2))
    runtime.deposit(LAB, *lab_home_file())
    process_all(runtime)
    exported = [json.loads(line) for line in export(project, "--format", "jsonl").splitlines()]
    site, service = start_site(tmp_path / "site", project.database_url)
    try:
        key = create_api_key(site.sessions, "back office", "backoffice", actor="test")
        with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
            first = client.get("/api/v1/forwarded", params={"limit": 2}).json()
            rest = client.get("/api/v1/forwarded", params={"after": first["next_cursor"]}).json()
    finally:
        service.stop()
        site.engine.dispose()
    assert first["items"] + rest["items"] == exported and rest["next_cursor"] is None
    for document in rest["items"]:
        validate(document)

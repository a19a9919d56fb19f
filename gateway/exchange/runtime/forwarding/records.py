"""The whole forwarded record: one document for the export, the REST feed and the broker.

A record is forwarded with everything the back office needs to settle it without the request
file: provider, convention, file name, IdFichier, sequence, record id and reference,
matricule, the prescription, every act with the tariff applied, the record total and the
nomenclature version. Its one model is :class:`~gateway.exchange.runtime.forwarding.model.ForwardedOut`
(also the REST API's); ``schemas/forwarded-record-1.0.json`` is its JSON Schema; the tests
validate real output against it.

Stored form: ``forwarded_records.detail`` holds the prescription, sampling and acts as JSON
(:func:`detail_json`), written once with the record; :func:`document` adds the columns.

Text forms of ``gateway forwarded export``:

- ``jsonl``: one document per line (nested, as on the REST feed and the broker);
- ``csv``: one row per record (operations.md), the acts in an ``acts`` column as JSON;
- ``csv-acts``: one row per act, the record's columns repeated on each.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gateway.exchange.checks.model import RecordDetail
from gateway.exchange.runtime.forwarding.model import ForwardedOut
from gateway.store.models.exchange import ForwardedRecord, RequestFile

SCHEMA_VERSION = "1.0"
EXPORT_FORMATS = ("csv", "csv-acts", "jsonl")
#: the lieu of a LAB sampling at the patient's home
HOME = "DOMICILE"

#: ``csv`` columns: operations.md's first, then the rest of the record
RECORD_COLUMNS = (
    "id",
    "provider",
    "convention",
    "file_name",
    "id_fichier",
    "record_id",
    "reference",
    "matricule",
    "amount",
    "status",
    "forwarded_at",
    "sequence",
    "received_at",
    "record_position",
    "physician",
    "prescription_date",
    "sessions_prescribed",
    "sampled_at",
    "sampling_place",
    "home_sampling",
    "nomenclature_version",
)
ACT_COLUMNS = ("act_line", "act_code", "act_date", "act_quantity", "act_unit_tariff", "act_amount", "act_performer")


#: json.dumps(separators=(",", ":"), ensure_ascii=False) without a new encoder per record
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def detail_json(detail: RecordDetail) -> str:
    """The stored form of a record's prescription, sampling and acts."""
    sampling = None
    if detail.sampling_place is not None:
        sampling = {"at": detail.sampled_at, "place": detail.sampling_place, "home": detail.sampling_place == HOME}
    return _COMPACT.encode(
        {
            "prescription": {
                "physician": detail.physician,
                "date": detail.prescribed_on,
                "sessions_prescribed": detail.sessions_prescribed,
            },
            "sampling": sampling,
            "acts": [
                {
                    "line": index,
                    "code": act.code,
                    "date": act.date,
                    "quantity": act.quantity,
                    "unit_tariff": act.unit_tariff,
                    "amount": act.amount,
                    "performer": act.performer,
                }
                for index, act in enumerate(detail.acts, start=1)
            ],
        },
    )


#: one forwarded record as the back office receives it: a ForwardedOut (forwarding/model.py,
#: the one definition of its fields) dumped to a dict by :func:`document`; read by the export,
#: the pull API and the publisher
RecordDocument = dict[str, Any]


def _euros(amount_cents: int) -> str:
    return f"{Decimal(amount_cents) / 100:.2f}"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def document(row: ForwardedRecord, *, sequence: int | None, received_at: dt.datetime | None) -> RecordDocument:
    """The whole record as the back office receives it (``type`` ``record``), as a
    :class:`~gateway.exchange.runtime.forwarding.model.ForwardedOut` dumped to a dict.

    ``prescription`` is None and ``acts`` empty only when the detail was erased by purge (or
    the record was forwarded before whole records existed).
    """
    detail = json.loads(row.detail) if row.detail else {"prescription": None, "sampling": None, "acts": []}
    values = {
        "type": "record",
        "schema_version": SCHEMA_VERSION,
        "id": row.id,
        "provider": row.provider_code,
        "convention": row.convention,
        "file_name": row.file_name,
        "id_fichier": row.id_fichier,
        "sequence": sequence,
        "received_at": _iso(received_at),
        "record_id": row.record_id,
        "record_position": row.record_position,
        "reference": row.reference,
        "status": row.record_status,
        "matricule": row.matricule,
        "prescription": detail["prescription"],
        "sampling": detail["sampling"],
        "acts": detail["acts"],
        "amount": _euros(row.amount_cents),
        "nomenclature_version": row.nomenclature_version,
        "forwarded_at": row.forwarded_at.isoformat(),
    }
    # through the one model: the export, the REST feed and the broker carry the same document
    return ForwardedOut.model_validate(values).model_dump()


def _query() -> Select[ForwardedRecord, int | None, dt.datetime]:
    return select(ForwardedRecord, RequestFile.sequence, RequestFile.received_at).join(
        RequestFile, RequestFile.id == ForwardedRecord.request_file_id
    )


def export_records(session: Session, *, since: int = 0, limit: int | None = None) -> list[RecordDocument]:
    """Whole records with an id above ``since`` (exclusive), in id order; withdrawn ones left out."""
    query = (
        _query().where(ForwardedRecord.id > since, ForwardedRecord.withdrawn_at.is_(None)).order_by(ForwardedRecord.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        document(row, sequence=sequence, received_at=received_at)
        for row, sequence, received_at in session.execute(query)
    ]


def records_by_id(session: Session, ids: list[int]) -> dict[int, RecordDocument]:
    """Whole records by forwarding id (withdrawn ones too: a publisher may still owe them)."""
    rows = session.execute(_query().where(ForwardedRecord.id.in_(ids))) if ids else ()
    return {row.id: document(row, sequence=sequence, received_at=received_at) for row, sequence, received_at in rows}


def _record_row(record: Mapping[str, Any]) -> dict[str, Any]:
    prescription = record["prescription"] or {}
    sampling = record["sampling"] or {}
    row = {name: record.get(name) for name in RECORD_COLUMNS}
    row.update(
        physician=prescription.get("physician"),
        prescription_date=prescription.get("date"),
        sessions_prescribed=prescription.get("sessions_prescribed"),
        sampled_at=sampling.get("at"),
        sampling_place=sampling.get("place"),
        home_sampling=("true" if sampling.get("home") else "false") if sampling else None,
    )
    return row


def csv_rows(record: RecordDocument, fmt: str) -> list[dict[str, Any]]:
    """The CSV rows of one record: one (``csv``) or one per act (``csv-acts``)."""
    row = _record_row(record)
    if fmt == "csv":
        row["act_count"] = len(record["acts"])
        row["acts"] = json.dumps(record["acts"], separators=(",", ":"), ensure_ascii=False)
        return [row]
    return [
        {
            **row,
            "act_line": act["line"],
            "act_code": act["code"],
            "act_date": act["date"],
            "act_quantity": act["quantity"],
            "act_unit_tariff": act["unit_tariff"],
            "act_amount": act["amount"],
            "act_performer": act["performer"],
        }
        for act in record["acts"]
    ]


def render_export(records: Iterable[RecordDocument], fmt: str) -> Iterator[str]:
    """The export as text chunks: CSV with a header line, or one JSON document per line."""
    if fmt == "jsonl":
        for record in records:
            yield json.dumps(record, ensure_ascii=False) + "\n"
        return
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    fields = [*RECORD_COLUMNS, *(("act_count", "acts") if fmt == "csv" else ACT_COLUMNS)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_rows(record, fmt))
        yield buffer.getvalue()

"""Forwarding accepted records to the back office (spec/exchange.md section 7).

The hand-off is a table: :func:`forward` inserts one row per accepted record of a PRODUCTION
file in the transaction that makes the file ANSWERED, so a crash leaves either the file
unfinished and no rows (it is resumed and forwarded then) or both. A unique (file, record
position) constraint makes a second insertion impossible. The back office reads with
:func:`export_records` (``gateway forwarded export``, the REST API), keeping its own cursor:
ids only increase and are never reused.

On PostgreSQL, ids come from a sequence and could be committed out of order by two workers,
letting a reader's cursor pass an id that becomes visible later; :func:`forward` therefore
takes a transaction-level advisory lock, so rows are numbered and committed one transaction
at a time. SQLite serialises writers anyway.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from gateway.exchange.model import Outcome
from gateway.store.models.exchange import ForwardedRecord

#: key of the advisory lock that orders forwarded ids on PostgreSQL
_ADVISORY_KEY = 0x6677_6472  # "fwdr"
EXPORT_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class ExportedRecord:
    """One row of ``gateway forwarded export`` (operations.md)."""

    id: int
    provider: str
    convention: str
    file_name: str
    id_fichier: str
    record_id: str
    reference: str
    matricule: str
    amount: str
    status: str
    forwarded_at: str


def cents(amount: Decimal) -> int:
    """Euros with at most 2 decimals -> whole cents."""
    return int((amount * 100).to_integral_value())


def euros(amount_cents: int) -> str:
    """Whole cents -> ``"123.40"``."""
    return f"{Decimal(amount_cents) / 100:.2f}"


def forward(session: Session, *, file_id: int, provider_code: str, file_name: str, outcome: Outcome,
            now: dt.datetime) -> int:
    """Adds the accepted records of ``outcome`` to the hand-off; returns how many.

    The caller has checked the file is a PRODUCTION file and commits with its final state.
    """
    records = outcome.accepted_records
    if not records:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    insert_rows(session, ForwardedRecord, [
        {"request_file_id": file_id, "provider_code": provider_code, "convention": outcome.convention or "",
         "file_name": file_name, "id_fichier": outcome.id_fichier or "", "record_position": record.position,
         "record_id": record.id, "reference": record.reference, "matricule": record.matricule,
         "amount_cents": cents(record.amount), "record_status": record.status.value, "forwarded_at": now}
        for record in records
    ])
    return len(records)


def insert_rows(session: Session, model: type, rows: list[dict]) -> None:
    """Inserts ``rows`` in order with one executemany (faster here than multi-row VALUES)."""
    if rows:
        session.execute(insert(model), rows)


def withdraw(session: Session, file_id: int, now: dt.datetime) -> int:
    """Withdraws a voided file's records from the hand-off; returns how many."""
    result = session.execute(
        update(ForwardedRecord)
        .where(ForwardedRecord.request_file_id == file_id, ForwardedRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    return result.rowcount or 0


def export_records(session: Session, *, since: int = 0, limit: int | None = None) -> list[ExportedRecord]:
    """Records with an id above ``since`` (exclusive), in id order; withdrawn ones left out."""
    query = (
        select(ForwardedRecord)
        .where(ForwardedRecord.id > since, ForwardedRecord.withdrawn_at.is_(None))
        .order_by(ForwardedRecord.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        ExportedRecord(
            id=row.id, provider=row.provider_code, convention=row.convention, file_name=row.file_name,
            id_fichier=row.id_fichier, record_id=row.record_id, reference=row.reference,
            matricule=row.matricule or "", amount=euros(row.amount_cents), status=row.record_status,
            forwarded_at=row.forwarded_at.isoformat(),
        )
        for row in session.scalars(query)
    ]


def render_export(records: Iterable[ExportedRecord], fmt: str) -> Iterator[str]:
    """The export as text chunks: CSV with a header line, or one JSON object per line."""
    fields = list(ExportedRecord.__dataclass_fields__)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        yield buffer.getvalue()
        for record in records:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(asdict(record))
            yield buffer.getvalue()
    elif fmt == "jsonl":
        for record in records:
            yield json.dumps(asdict(record), ensure_ascii=False) + "\n"
    else:
        raise ValueError(f"unknown export format {fmt!r}")

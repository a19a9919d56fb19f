"""The hand-off table: accepted records written with the file's final state, withdrawn by a void.

:func:`forward` inserts one ``forwarded_records`` row per accepted record of a PRODUCTION
file, whole (prescription, acts, tariffs: :mod:`.records`), in the transaction that makes the
file ANSWERED, so a crash leaves either the file unfinished and no rows (it is resumed and
forwarded then) or both. A unique (file, record position) constraint makes a second insertion
impossible. With ``outbox=True`` (a broker is configured) the same transaction adds one
outbox row per record (:mod:`.outbox`), so a record is pushed exactly when it is forwarded.

On PostgreSQL, ids come from sequences and could be committed out of order by two workers,
letting a reader's cursor (or a publisher) pass an id that becomes visible later; every
transaction that adds forwarded or outbox rows therefore takes a transaction-level advisory
lock (:func:`lock_ids`), so rows are numbered and committed one transaction at a time.
SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from gateway.exchange.checks.model import Outcome, RecordDetail, RecordResult
from gateway.exchange.runtime.forwarding import outbox
from gateway.exchange.runtime.forwarding.records import detail_json
from gateway.store.models.base import Base
from gateway.store.models.exchange import ForwardedRecord

#: key of the advisory lock that orders forwarded and outbox ids on PostgreSQL
_ADVISORY_KEY = 0x6677_6472  # "fwdr"
#: forwarded rows inserted per statement
_CHUNK = 5000


def cents(amount: Decimal) -> int:
    """Euros with at most 2 decimals -> whole cents."""
    return int((amount * 100).to_integral_value())


def euros(amount_cents: int) -> str:
    """Whole cents -> ``"123.40"``."""
    return f"{Decimal(amount_cents) / 100:.2f}"


def lock_ids(session: Session) -> None:
    """Serialises, until commit, the transactions that number forwarded and outbox rows (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Inserts ``rows`` in order with one executemany (faster here than multi-row VALUES).

    Through the session's connection (Core), not the ORM's bulk insert: the rows are plain
    dicts keyed by column, and the ORM's per-row bookkeeping was a third of the final
    transaction's time. On PostgreSQL psycopg 3 sends an executemany in pipeline mode.
    """
    if rows:
        session.connection().execute(model.__table__.insert(), rows)


def forward(
    session: Session,
    *,
    file_id: int,
    provider_code: str,
    file_name: str,
    outcome: Outcome,
    now: dt.datetime,
    outbox_rows: bool = False,
) -> int:
    """Adds the accepted records of ``outcome`` to the hand-off (and the outbox); returns how many.

    The caller has checked the file is a PRODUCTION file and commits with its final state.
    """
    records = outcome.accepted_records
    if not records:
        return 0
    lock_ids(session)
    for start in range(0, len(records), _CHUNK):  # rows built a chunk at a time: memory stays bounded
        insert_rows(
            session,
            ForwardedRecord,
            [
                _row(record, file_id, provider_code, file_name, outcome, now)
                for record in records[start : start + _CHUNK]
            ],
        )
    if outbox_rows:
        ids = list(
            session.scalars(
                select(ForwardedRecord.id)
                .where(ForwardedRecord.request_file_id == file_id)
                .order_by(ForwardedRecord.id)
            )
        )
        outbox.add_records(session, provider_code=provider_code, file_id=file_id, record_ids=ids, now=now)
    return len(records)


def _row(
    record: RecordResult, file_id: int, provider_code: str, file_name: str, outcome: Outcome, now: dt.datetime
) -> dict[str, Any]:
    detail = RecordDetail.unpack(record.detail) if record.detail is not None else None
    return {
        "request_file_id": file_id,
        "provider_code": provider_code,
        "convention": outcome.convention or "",
        "file_name": file_name,
        "id_fichier": outcome.id_fichier or "",
        "record_position": record.position,
        "record_id": record.id,
        "reference": record.reference,
        "matricule": record.matricule,
        "amount_cents": cents(record.amount),
        "record_status": record.status.value,
        "forwarded_at": now,
        "detail": detail_json(detail) if detail is not None else None,
        "nomenclature_version": detail.nomenclature if detail is not None else None,
    }


def withdraw(session: Session, file_id: int, now: dt.datetime, *, reason: str = "") -> int:
    """Withdraws a voided file's records from the hand-off; returns how many.

    Records still waiting in the outbox are never published; for those already published (or
    being published), a withdrawal message is queued after them.
    """
    rows = session.execute(
        select(ForwardedRecord.id, ForwardedRecord.record_id, ForwardedRecord.reference)
        .where(ForwardedRecord.request_file_id == file_id, ForwardedRecord.withdrawn_at.is_(None))
        .order_by(ForwardedRecord.id)
    ).all()
    if not rows:
        return 0
    session.execute(
        update(ForwardedRecord)
        .where(ForwardedRecord.request_file_id == file_id, ForwardedRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    lock_ids(session)
    outbox.withdraw_file(session, file_id=file_id, records=rows, now=now, reason=reason)
    return len(rows)

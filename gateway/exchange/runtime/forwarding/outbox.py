"""The transactional outbox of the broker publisher: what is owed to the broker, in order.

Rows are added in the transaction that forwards the records (:func:`add_records`), voids a
file (:func:`withdraw_file`) or replays records (:func:`republish`), always under
:func:`~gateway.exchange.runtime.forwarding.handoff.lock_ids`, so ids are committed in order.

Publishing order is per provider: a publisher claims the oldest unsent row of a provider
whose head no live publisher holds (:func:`claim_batch`), together with the rows that follow
it, and publishes them in id order. Every later row of that provider is *blocked* by the
earlier unsent one, so two publishers never hold the same provider and never overtake each
other. Claims are leases, like the workers' (gateway/exchange/runtime/claims.py): on PostgreSQL the
head row is locked ``FOR UPDATE SKIP LOCKED``; on SQLite every transaction begins
``IMMEDIATE`` and claims are serialised. A publisher that dies leaves its rows to whoever
claims them once the lease lapses; rows it had published but not yet marked are published
again with the same message id (consumers drop duplicates by id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from gateway.exchange.runtime.forwarding.records import SCHEMA_VERSION
from gateway.store.db import affected, transaction
from gateway.store.models.exchange import ForwardedRecord, RequestFile
from gateway.store.models.forwarding import MessageKind, OutboxMessage

O = OutboxMessage  # noqa: E741 - the queries read better short
PENDING = (O.sent_at.is_(None), O.cancelled_at.is_(None))


@dataclass(frozen=True)
class Pending:
    """One claimed outbox row, as the publisher needs it."""

    id: int
    kind: str
    provider_code: str
    message_id: str
    forwarded_record_id: int | None
    payload: str | None
    replay: bool


@dataclass(frozen=True)
class Backlog:
    """What is still owed to the broker."""

    unsent: int
    oldest: dt.datetime | None


def _record_row(provider_code: str, file_id: int, record_id: int, now: dt.datetime, replay: bool) -> dict[str, Any]:
    return {
        "kind": MessageKind.RECORD.value,
        "provider_code": provider_code,
        "request_file_id": file_id,
        "forwarded_record_id": record_id,
        "message_id": str(record_id),
        "replay": int(replay),
        "created_at": now,
        "attempts": 0,
    }


def add_records(session: Session, *, provider_code: str, file_id: int, record_ids: list[int], now: dt.datetime) -> None:
    """Queues one ``record`` message per forwarded record id, in the given order."""
    for start in range(0, len(record_ids), 5000):  # a chunk at a time: memory stays bounded
        session.execute(
            O.__table__.insert(),
            [
                _record_row(provider_code, file_id, record_id, now, False)
                for record_id in record_ids[start : start + 5000]
            ],
        )


def withdraw_file(
    session: Session, *, file_id: int, records: Sequence[Row[int, str, str]], now: dt.datetime, reason: str
) -> None:
    """A voided file: cancels its records not yet handed to a publisher; queues a withdrawal for the rest.

    A row claimed under a live lease may be on its way to the broker, so it counts as
    published: the withdrawal names it (and a consumer ignores a withdrawal of an id it never
    received). The withdrawal goes after every earlier message of the provider.
    """
    rows = list(
        session.scalars(
            select(O)
            .where(O.request_file_id == file_id, O.kind == MessageKind.RECORD.value, O.cancelled_at.is_(None))
            .with_for_update()
        )
    )
    if not rows:
        return  # forwarded while no broker was configured: nothing was or will be pushed
    published: set[int] = set()
    for row in rows:
        in_flight = row.claimed_by is not None and row.lease_until is not None and row.lease_until > now
        if row.sent_at is not None or in_flight:
            published.add(row.forwarded_record_id or 0)
        if row.sent_at is None:
            row.cancelled_at = now
    if not published:
        return
    file = session.get_one(RequestFile, file_id)
    withdrawn = [{"id": r.id, "record_id": r.record_id, "reference": r.reference} for r in records if r.id in published]
    payload = {
        "type": "withdrawal",
        "schema_version": SCHEMA_VERSION,
        "provider": file.provider_code,
        "convention": file.convention,
        "file_name": file.name,
        "id_fichier": file.id_fichier,
        "ids": [r["id"] for r in withdrawn],
        "records": withdrawn,
        "reason": reason,
        "withdrawn_at": now.isoformat(),
    }
    session.add(
        O(
            kind=MessageKind.WITHDRAWAL.value,
            provider_code=file.provider_code,
            request_file_id=file_id,
            message_id=f"withdrawal-{file_id}",
            payload=json.dumps(payload, ensure_ascii=False),
            replay=0,
            created_at=now,
            attempts=0,
        )
    )


def republish(
    session: Session, *, since: int, until: int | None, provider: str | None, now: dt.datetime, limit: int
) -> tuple[int, int | None]:
    """Queues again, as replays, up to ``limit`` live records with an id above ``since``.

    Returns (rows queued, highest id queued); the caller commits and calls again from there.
    """
    query = (
        select(ForwardedRecord.id, ForwardedRecord.provider_code, ForwardedRecord.request_file_id)
        .where(ForwardedRecord.id > since, ForwardedRecord.withdrawn_at.is_(None))
        .order_by(ForwardedRecord.id)
        .limit(limit)
    )
    if until is not None:
        query = query.where(ForwardedRecord.id <= until)
    if provider:
        query = query.where(ForwardedRecord.provider_code == provider)
    rows = session.execute(query).all()
    if rows:
        session.execute(
            O.__table__.insert(),
            [_record_row(row.provider_code, row.request_file_id, row.id, now, True) for row in rows],
        )
    return len(rows), (rows[-1].id if rows else None)


def claim_batch(
    sessions: sessionmaker[Session], claimant: str, *, now: dt.datetime, lease_s: float, limit: int
) -> list[Pending]:
    """Claims the oldest claimable provider's next ``limit`` unsent rows (none: an empty list)."""
    earlier = aliased(OutboxMessage)
    blocked = (
        select(earlier.id)
        .where(
            earlier.provider_code == O.provider_code,
            earlier.sent_at.is_(None),
            earlier.cancelled_at.is_(None),
            earlier.id < O.id,
        )
        .exists()
    )
    free = or_(O.claimed_by.is_(None), O.lease_until.is_(None), O.lease_until < now, O.claimed_by == claimant)
    head_query = select(O).where(*PENDING, free, ~blocked).order_by(O.id).limit(1).with_for_update(skip_locked=True)
    with transaction(sessions) as session:
        head = session.scalars(head_query).first()
        if head is None:
            return []
        rows = list(
            session.scalars(
                select(O)
                .where(*PENDING, O.provider_code == head.provider_code, O.id >= head.id)
                .order_by(O.id)
                .limit(limit)
                .with_for_update()
            )
        )
        lease = now + dt.timedelta(seconds=lease_s)
        for row in rows:
            row.claimed_by, row.lease_until, row.attempts = claimant, lease, (row.attempts or 0) + 1
        return [
            Pending(
                row.id,
                row.kind,
                row.provider_code,
                row.message_id,
                row.forwarded_record_id,
                row.payload,
                bool(row.replay),
            )
            for row in rows
        ]


def renew(sessions: sessionmaker[Session], claimant: str, *, now: dt.datetime, lease_s: float) -> int:
    """Extends the lease of every unsent row ``claimant`` holds; returns how many."""
    with transaction(sessions) as session:
        result = session.execute(
            update(O)
            # among the waiting rows only (ix_forwarding_outbox_queue), not every row ever sent; a
            # row cancelled meanwhile is no one's to publish any more: its lease may lapse
            .where(*PENDING, O.claimed_by == claimant)
            .values(lease_until=now + dt.timedelta(seconds=lease_s))
        )
        return affected(result) or 0


def mark_sent(sessions: sessionmaker[Session], ids: list[int], *, now: dt.datetime) -> None:
    """Records that the broker confirmed these rows (whoever holds them now)."""
    if ids:
        with transaction(sessions) as session:
            session.execute(
                update(O)
                .where(O.id.in_(ids), O.sent_at.is_(None))
                .values(sent_at=now, claimed_by=None, lease_until=None)
            )


def release(sessions: sessionmaker[Session], claimant: str) -> None:
    """Gives back every unsent row ``claimant`` holds (the broker failed): claimable again at once."""
    with transaction(sessions) as session:
        session.execute(
            # among the waiting rows only, as renew (a cancelled row is claimed by no one again)
            update(O).where(*PENDING, O.claimed_by == claimant).values(claimed_by=None, lease_until=None)
        )


def backlog(session: Session) -> Backlog:
    """How many messages are unsent, and since when the oldest waits."""
    count, oldest = session.execute(select(func.count(), func.min(O.created_at)).where(*PENDING)).one()
    return Backlog(int(count or 0), oldest)

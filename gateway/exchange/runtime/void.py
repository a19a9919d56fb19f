"""Voiding a received file (spec/exchange.md section 9) and auditing staff views of files.

A voided file counts for nothing afterwards: the history (gateway/exchange/runtime/history.py) leaves
it out of DOUBLON, sequence numbers, IdFichier and DUP-002, and its forwarded records are
withdrawn from the hand-off (the export no longer lists them; records not yet pushed to the
broker never will be, and a withdrawal message follows those that were). Its response stays
where it is. ``gateway exchange void`` and the staff interface both call :func:`void_file`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import utcnow
from gateway.errors import NotFound, UsageError
from gateway.exchange.errors import VoidRefused
from gateway.exchange.runtime.forwarding import withdraw
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.exchange import FileState, RequestFile

log = get_logger(__name__)


@dataclass(frozen=True)
class Voided:
    """A voided file and how many forwarded records were withdrawn."""

    file_id: int
    provider_code: str
    file_name: str
    status: str | None
    withdrawn: int
    voided_at: dt.datetime


def _find(session: Session, provider_code: str, file_name: str, file_id: int | None) -> RequestFile:
    query = select(RequestFile).where(RequestFile.provider_code == provider_code)
    if file_id is not None:
        query = query.where(RequestFile.id == file_id)
    else:
        # A name can be used again once its response is collected: the latest file of that name.
        query = query.where(RequestFile.name == file_name).order_by(RequestFile.id.desc())
    row = session.scalars(query.limit(1).with_for_update()).first()
    if row is None:
        raise NotFound(
            f"provider {provider_code} has no received file {file_name or file_id}",
            code="EXC-FILE-NOT-FOUND",
            provider=provider_code,
            name=file_name,
        )
    return row


def void_file(
    sessions: sessionmaker[Session],
    *,
    provider_code: str,
    file_name: str = "",
    reason: str,
    actor: str,
    file_id: int | None = None,
    address: str = "",
    now: dt.datetime | None = None,
) -> Voided:
    """Voids the provider's latest file named ``file_name`` (or the file ``file_id``).

    Raises NotFound, UsageError (empty reason) or VoidRefused (not answered yet: try again
    once it is; or already voided). Recorded in the audit trail with ``actor`` and ``reason``.
    """
    reason = reason.strip()
    if not reason:
        raise UsageError("a reason is required to void a file")
    now = now or utcnow()
    with transaction(sessions) as session:
        row = _find(session, provider_code, file_name, file_id)
        if row.voided_at is not None:
            raise VoidRefused(
                f"{row.name} was already voided on {row.voided_at:%Y-%m-%d %H:%M} UTC",
                code="EXC-VOID-ALREADY",
                file_id=row.id,
            )
        if row.state != FileState.ANSWERED:
            raise VoidRefused(
                f"{row.name} is still being checked; void it once it is answered",
                code="EXC-VOID-NOT-ANSWERED",
                file_id=row.id,
            )
        row.voided_at, row.voided_by, row.void_reason = now, actor, reason
        withdrawn = withdraw(session, row.id, now, reason=reason)
        audit.record(
            session,
            actor=actor,
            action="exchange.void",
            target_type="request_file",
            target_id=str(row.id),
            address=address,
            provider=provider_code,
            name=row.name,
            reason=reason,
            status=row.status,
            withdrawn_records=withdrawn,
        )
        result = Voided(row.id, provider_code, row.name, row.status, withdrawn, now)
    log.info(
        "file voided",
        provider=provider_code,
        file=result.file_name,
        file_id=result.file_id,
        actor=actor,
        withdrawn_records=withdrawn,
    )
    return result


def record_file_view(
    sessions: sessionmaker[Session], *, file_id: int, actor: str, address: str = "", what: str = "detail"
) -> None:
    """Records that ``actor`` viewed (or downloaded: ``what``) a request file, in the audit trail.

    The staff interface calls this for every view of a file, its request or its response.
    """
    with transaction(sessions) as session:
        row = session.get(RequestFile, file_id)
        if row is None:
            raise NotFound(f"no request file {file_id}", code="EXC-FILE-NOT-FOUND", file_id=file_id)
        audit.record(
            session,
            actor=actor,
            action="exchange.view",
            target_type="request_file",
            target_id=str(file_id),
            address=address,
            provider=row.provider_code,
            name=row.name,
            what=what,
        )

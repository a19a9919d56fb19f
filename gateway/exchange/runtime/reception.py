"""Receiving a request file: the one way a file becomes known to the pipeline.

Both the SFTP server (on a clean close or a rename onto the final name) and the watcher
(files written into inbox/ by other means) call :func:`register_received` with the file
already in place under ``inbox/<code>/<name>``. Registration is what makes the file
"received" (spec/exchange.md section 1); a failed registration must be reported to the
uploader as a failed close.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import GatewayError, SftpStatus
from gateway.exchange.checks.response import RESPONSE_SUFFIX
from gateway.store.models.exchange import FileState, RequestFile

#: names the server accepts at upload time (spec/exchange.md section 1)
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
PART_SUFFIX = ".part"
# one prepared statement for a batch: the ids come back in the order of the rows given
_INSERT_MANY = insert(RequestFile.__table__).returning(RequestFile.__table__.c.id, sort_by_parameter_order=True)


class NameHeld(GatewayError):
    """The name (or one with the same response name) is waiting, in check or answered."""

    code = "SFTP-NAME-HELD"
    sftp_status = SftpStatus.PERMISSION_DENIED


def response_name_for(name: str) -> str:
    """``<name without .xml>_REP.xml`` (the whole name when it does not end in .xml)."""
    stem = name[:-4] if name.endswith(".xml") else name
    return stem + RESPONSE_SUFFIX


def is_upload_name(name: str) -> bool:
    """True when ``name`` may be uploaded (pattern of section 1)."""
    return UPLOAD_NAME.fullmatch(name) is not None  # fullmatch: "$" would let a trailing newline through


# Asked at every SFTP open: built once and run on the connection (Core), not through the ORM
_HOLDER = (
    select(RequestFile.id)
    .where(
        RequestFile.provider_code == bindparam("provider"),
        RequestFile.response_name == bindparam("response_name"),
        RequestFile.collected_at.is_(None),
    )
    .limit(1)
)


def name_is_held(connection: Connection, provider_code: str, name: str) -> bool:
    """True when a received file of this provider holds ``name``'s response name."""
    parameters = {"provider": provider_code, "response_name": response_name_for(name)}
    return connection.execute(_HOLDER, parameters).first() is not None


#: called after each commit that registered request files in this process
_registration_listeners: list[Callable[[], None]] = []


def on_registration(listener: Callable[[], None]) -> None:
    """Calls ``listener`` after each commit of this process that registered request files
    (the workers wake on it rather than wait for their next poll)."""
    _registration_listeners.append(listener)


def announce_registered() -> None:
    """Tells the listeners that request files were just committed."""
    for listener in list(_registration_listeners):
        listener()


def register_received(
    session: Session,
    *,
    provider_code: str,
    name: str,
    size: int,
    sha256: str,
    received_at: dt.datetime,
    source: str,
) -> RequestFile:
    """Records a complete upload now in ``inbox/<provider_code>/<name>``; flushes.

    Raises :class:`NameHeld` when the name is held (the caller rolls back and refuses).
    """
    row = RequestFile(
        provider_code=provider_code,
        name=name,
        response_name=response_name_for(name),
        source=source,
        state=FileState.RECEIVED,
        received_at=received_at,
        size=size,
        sha256=sha256,
        stored_at=f"inbox:{provider_code}/{name}",
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise NameHeld(f"{name} is held until its response is collected", provider=provider_code, name=name) from None
    return row


def mark_downloaded(session: Session, provider_code: str, response_name: str, at: dt.datetime) -> bool:
    """Records the first complete download of ``response_name`` (the response is collected);
    later downloads change nothing. True when this was the first."""
    row = session.scalars(
        select(RequestFile)
        .where(
            RequestFile.provider_code == provider_code,
            RequestFile.response_name == response_name,
            RequestFile.collected_at.is_(None),
            RequestFile.state.in_([FileState.ANSWERED, FileState.PROCESSING]),
        )
        .order_by(RequestFile.id.desc())
    ).first()
    if row is None or row.downloaded_at is not None:
        return False
    row.downloaded_at = at
    return True


@dataclass(frozen=True)
class Incoming:
    """One complete upload to register (the arguments of :func:`register_received`)."""

    provider_code: str
    name: str
    size: int
    sha256: str
    received_at: dt.datetime
    source: str


def register_many(connection: Connection, files: Sequence[Incoming]) -> list[int]:
    """Records several complete uploads in one statement; returns their ids in order.

    All or none: raises :class:`NameHeld` when any of the names is held; the transaction is
    then spoilt (no savepoint: it would cost two more statements on every batch), and the
    caller rolls it back and finds which names with :func:`register_received`, one by one.
    No ORM objects: this is the SFTP close path, where per-row flushes cost more than the
    insert. The caller calls :func:`announce_registered` once the transaction is committed.
    """
    rows = [
        {
            "provider_code": f.provider_code,
            "name": f.name,
            "response_name": response_name_for(f.name),
            "source": f.source,
            "state": FileState.RECEIVED,
            "received_at": f.received_at,
            "size": f.size,
            "sha256": f.sha256,
            "stored_at": f"inbox:{f.provider_code}/{f.name}",
            "attempts": 0,
        }
        for f in files
    ]
    try:
        return list(connection.scalars(_INSERT_MANY, rows))
    except IntegrityError:
        raise NameHeld(f"one of {len(rows)} names is held", names=[f.name for f in files]) from None


def mark_collected(session: Session, provider_code: str, response_name: str, at: dt.datetime) -> bool:
    """Frees the name of the file answered by ``response_name`` (provider deleted it).

    The row may still be PROCESSING: the response reaches the outbox just before the worker
    commits ANSWERED, and a provider polling its outbox can take it in between.
    """
    row = session.scalars(
        select(RequestFile).where(
            RequestFile.provider_code == provider_code,
            RequestFile.response_name == response_name,
            RequestFile.collected_at.is_(None),
            RequestFile.state.in_([FileState.ANSWERED, FileState.PROCESSING]),
        )
    ).first()
    if row is None:
        return False
    row.collected_at = at
    return True

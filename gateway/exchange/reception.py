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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import GatewayError
from gateway.store.models.exchange import FileState, RequestFile

#: names the server accepts at upload time (spec/exchange.md section 1)
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
PART_SUFFIX = ".part"


class NameHeld(GatewayError):
    """The name (or one with the same response name) is waiting, in check or answered."""

    code = "SFTP-NAME-HELD"


def response_name_for(name: str) -> str:
    """``<name without .xml>_REP.xml`` (the whole name when it does not end in .xml)."""
    stem = name[:-4] if name.endswith(".xml") else name
    return f"{stem}_REP.xml"


def is_upload_name(name: str) -> bool:
    """True when ``name`` may be uploaded (pattern of section 1)."""
    return UPLOAD_NAME.fullmatch(name) is not None  # fullmatch: "$" would let a trailing newline through


def name_is_held(session: Session, provider_code: str, name: str) -> bool:
    """True when a received file of this provider holds ``name``'s response name."""
    query = select(RequestFile.id).where(
        RequestFile.provider_code == provider_code,
        RequestFile.response_name == response_name_for(name),
        RequestFile.collected_at.is_(None),
    )
    return session.execute(query.limit(1)).first() is not None


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
        provider_code=provider_code, name=name, response_name=response_name_for(name), source=source,
        state=FileState.RECEIVED, received_at=received_at, size=size, sha256=sha256,
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
        select(RequestFile).where(
            RequestFile.provider_code == provider_code,
            RequestFile.response_name == response_name,
            RequestFile.collected_at.is_(None),
            RequestFile.state.in_([FileState.ANSWERED, FileState.PROCESSING]),
        ).order_by(RequestFile.id.desc())
    ).first()
    if row is None or row.downloaded_at is not None:
        return False
    row.downloaded_at = at
    return True


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

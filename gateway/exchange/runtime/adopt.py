"""Adopting files that reached ``inbox/<code>/`` by other means than the gateway's SFTP server.

The watcher (on events) and startup recovery (on a rescan) call :func:`adopt` for a file in a
provider's inbox folder. It decides, in this order:

- temp names (starting with ``.``) and ``.part`` uploads are never taken (SKIPPED);
- a file that is already a registered, unfinished file's (the SFTP server registered it, or
  an earlier adoption did) is left to the workers (OWNED);
- a file still being written, or still being received by the SFTP server, waits (BUSY): the
  server places an upload by hard-linking its temp file onto the final name and removes the
  temp file only after the registration committed, so a link count above 1 means "the
  server is on it"; a file changed less than ``min_age_s`` ago also waits (except a file the
  SFTP server rescues: linked by a server process that died, see gateway/sftp/rescue.py);
- a name outside section 1's pattern, a name held by another file, or anything but a regular
  file is moved aside for operators and logged (ASIDE);
- anything else is registered (source ``watcher``, ``recuLe`` = now), whatever its size: an
  over-size file gets its FIC-003 response from the checks.

A race with the server registering the same name is settled by the held-name unique index:
the loser sees NameHeld and looks again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import metrics
from gateway.exchange.runtime.claims import UNFINISHED
from gateway.exchange.runtime.reception import (
    PART_SUFFIX,
    NameHeld,
    is_upload_name,
    register_received,
    response_name_for,
)
from gateway.exchange.runtime.spool import SpoolPaths, move_aside
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.accounts import Provider
from gateway.store.models.exchange import RequestFile

log = get_logger(__name__)

SOURCE = "watcher"
#: a file the SFTP server holds twice (temp + final name) longer than this is not the server's
#: (its registration gives up after the database busy timeout): someone linked it in by hand
LINKED_GRACE_S = 60.0


class Adoption(StrEnum):
    """What :func:`adopt` did with a file."""

    REGISTERED = "registered"
    OWNED = "owned"
    BUSY = "busy"
    ASIDE = "aside"
    SKIPPED = "skipped"
    GONE = "gone"


@dataclass(frozen=True)
class Adopted:
    """The result of one adoption attempt."""

    code: str
    name: str
    result: Adoption
    file_id: int | None = None
    reason: str = ""


def is_candidate_name(name: str) -> bool:
    """False for names never taken from the inbox: temp files (leading dot) and .part uploads."""
    return not name.startswith(".") and not name.endswith(PART_SUFFIX)


def _hash(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _owner(session: Session, code: str, name: str) -> RequestFile | None:
    """The row holding ``name``'s response name, if any."""
    return session.scalars(
        select(RequestFile).where(
            RequestFile.provider_code == code,
            RequestFile.response_name == response_name_for(name),
            RequestFile.collected_at.is_(None),
        )
    ).first()


def _owned_by(row: RequestFile | None, name: str) -> TypeGuard[RequestFile]:
    """True when ``row`` is the registered, not yet archived file of this very name."""
    return row is not None and row.name == name and row.state in UNFINISHED


def adopt(
    sessions: sessionmaker[Session],
    spool: SpoolPaths,
    code: str,
    name: str,
    *,
    now: dt.datetime,
    min_age_s: float = 0.0,
    rescued: bool = False,
) -> Adopted:
    """Registers ``inbox/<code>/<name>`` if it can and should be; see the module docstring.

    ``rescued``: the caller knows the file is an upload complete on disk whose server process
    died before registering it (gateway/sftp/rescue.py): it is taken at once, although still
    linked to that process's temp file.
    """
    if not is_candidate_name(name):
        return Adopted(code, name, Adoption.SKIPPED, reason="temporary name")
    path = spool.inbox_file(code, name)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return Adopted(code, name, Adoption.GONE)
    with sessions() as session:
        if session.get(Provider, code) is None:
            return Adopted(code, name, Adoption.SKIPPED, reason="no such provider")
        owner = _owner(session, code, name)
    if _owned_by(owner, name):
        return Adopted(code, name, Adoption.OWNED, file_id=owner.id)
    age = now.timestamp() - max(before.st_mtime, before.st_ctime)
    if stat.S_ISREG(before.st_mode) and not rescued:
        if before.st_nlink > 1 and age < LINKED_GRACE_S:
            return Adopted(code, name, Adoption.BUSY, reason="being received")
        if age < min_age_s:
            return Adopted(code, name, Adoption.BUSY, reason="changed recently")
    if not stat.S_ISREG(before.st_mode):
        return _aside(sessions, spool, code, path, now, "not a regular file")
    if not is_upload_name(name):
        return _aside(sessions, spool, code, path, now, "name outside the upload pattern")
    if owner is not None:
        return _aside(sessions, spool, code, path, now, "name held by an earlier file")
    size, sha256 = _hash(path)
    after = os.lstat(path)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or size != after.st_size:
        return Adopted(code, name, Adoption.BUSY, reason="changed while read")
    try:
        with transaction(sessions) as session:
            row = register_received(
                session, provider_code=code, name=name, size=size, sha256=sha256, received_at=now, source=SOURCE
            )
            audit.record(
                session,
                actor="system",
                action="exchange.adopt",
                target_type="request_file",
                target_id=name,
                provider=code,
                bytes=size,
                sha256=sha256,
            )
            session.flush()
            file_id = row.id
    except NameHeld:
        with sessions() as session:
            owner = _owner(session, code, name)
        if _owned_by(owner, name):
            return Adopted(code, name, Adoption.OWNED, file_id=owner.id)
        return _aside(sessions, spool, code, path, now, "name held by an earlier file")
    metrics.FILES_RECEIVED.labels(source=SOURCE).inc()
    log.info("file received", provider=code, file=name, file_id=file_id, bytes=size, sha256=sha256, via=SOURCE)
    return Adopted(code, name, Adoption.REGISTERED, file_id=file_id)


def _aside(
    sessions: sessionmaker[Session], spool: SpoolPaths, code: str, path: Path, now: dt.datetime, reason: str
) -> Adopted:
    try:
        target = move_aside(spool, path, code, now)
    except FileNotFoundError:
        return Adopted(code, path.name, Adoption.GONE)
    log.warning("inbox file moved aside", provider=code, file=path.name, reason=reason, to=str(target))
    with transaction(sessions) as session:
        audit.record(
            session,
            actor="system",
            action="exchange.aside",
            target_type="request_file",
            target_id=path.name,
            provider=code,
            reason=reason,
            moved_to=str(target),
        )
    return Adopted(code, path.name, Adoption.ASIDE, reason=reason)


def scan_inbox(
    sessions: sessionmaker[Session], spool: SpoolPaths, *, now: dt.datetime, min_age_s: float = 0.0
) -> list[Adopted]:
    """Adopts every candidate file of every provider folder, oldest first; returns what was done."""
    results: list[Adopted] = []
    if not spool.inbox.is_dir():
        return results
    for folder in sorted(p for p in spool.inbox.iterdir() if p.is_dir() and not p.is_symlink()):
        entries = []
        for entry in os.scandir(folder):
            if is_candidate_name(entry.name):
                try:
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                except FileNotFoundError:
                    continue
        for _mtime, name in sorted(entries):
            results.append(adopt(sessions, spool, folder.name, name, now=now, min_age_s=min_age_s))
    return results

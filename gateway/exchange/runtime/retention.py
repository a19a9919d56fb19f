"""Retention of request files (spec/exchange.md section 9): the exchange part of ``gateway purge``.

Two years (``exchange.retention_days``) after receipt, an answered file's request and response
(archive and outbox copies) are deleted, and the personal data kept about it is erased: the
offending values of its findings (a MAT-* value is a matricule) and the matricules, prescriptions
and acts of its forwarded records. What later checks need stays in the row: SHA-256 (DOUBLON), ``IdFichier``,
sequence number, status, mode; and the keyed act hashes (DUP-002), which hold no matricule in
clear. Files moved aside for operators are deleted after the same period.

A response removed by purge is treated as collected: its name is free again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.exchange import FileState, ForwardedRecord, RequestFile, RequestFinding

log = get_logger(__name__)
_BATCH = 200


@dataclass
class ExchangePurge:
    """What the exchange purge did (or, with dry_run, would do)."""

    dry_run: bool
    cutoff: dt.datetime
    files: int = 0
    deleted_paths: int = 0
    bytes_freed: int = 0
    aside_files: int = 0
    file_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cutoff": self.cutoff.isoformat(),
            "files": self.files,
            "deleted_paths": self.deleted_paths,
            "bytes_freed": self.bytes_freed,
            "aside_files": self.aside_files,
        }


def _remove(path: Path, report: ExchangePurge) -> None:
    try:
        size = path.lstat().st_size
    except FileNotFoundError:
        return
    if not report.dry_run:
        path.unlink(missing_ok=True)
    report.deleted_paths += 1
    report.bytes_freed += size


def purge_exchange(
    sessions: sessionmaker[Session], *, spool: SpoolPaths, now: dt.datetime, retention_days: int, dry_run: bool = False
) -> ExchangePurge:
    """Deletes files and personal data of answered files received before ``now - retention_days``."""
    cutoff = now - dt.timedelta(days=retention_days)
    report = ExchangePurge(dry_run=dry_run, cutoff=cutoff)
    last_id = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(
                    RequestFile.id,
                    RequestFile.provider_code,
                    RequestFile.stored_at,
                    RequestFile.response_name,
                    RequestFile.collected_at,
                )
                .where(
                    RequestFile.state == FileState.ANSWERED.value,
                    RequestFile.purged_at.is_(None),
                    RequestFile.received_at < cutoff,
                    RequestFile.id > last_id,
                )
                .order_by(RequestFile.id)
                .limit(_BATCH)
            ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            _remove(spool.resolve(row.stored_at), report)
            if row.stored_at.startswith("archive:"):
                _remove(spool.archived_response(row.stored_at, row.id, row.response_name), report)
            if row.collected_at is None:
                _remove(spool.outbox_file(row.provider_code, row.response_name), report)
        ids = [row.id for row in rows]
        report.files += len(ids)
        report.file_ids.extend(ids)
        if not dry_run:
            with transaction(sessions) as session:
                _erase(session, ids, now)
    _purge_aside(spool.aside, cutoff, report)
    if not dry_run:
        with transaction(sessions) as session:
            audit.record(
                session,
                actor="system",
                action="exchange.purge",
                target_type="request_file",
                **{k: v for k, v in report.as_dict().items() if k != "cutoff"},
                cutoff=cutoff.isoformat(),
            )
    log.info("exchange purge", **report.as_dict())
    return report


def _erase(session: Session, ids: list[int], now: dt.datetime) -> None:
    session.execute(update(RequestFinding).where(RequestFinding.request_file_id.in_(ids)).values(value=None))
    session.execute(
        update(ForwardedRecord).where(ForwardedRecord.request_file_id.in_(ids)).values(matricule=None, detail=None)
    )
    session.execute(
        update(RequestFile).where(RequestFile.id.in_(ids), RequestFile.collected_at.is_(None)).values(collected_at=now)
    )
    session.execute(update(RequestFile).where(RequestFile.id.in_(ids)).values(purged_at=now))


def _purge_aside(root: Path, cutoff: dt.datetime, report: ExchangePurge) -> None:
    if not root.is_dir():
        return
    limit = cutoff.timestamp()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            try:
                if path.lstat().st_mtime < limit:
                    _remove(path, report)
                    report.aside_files += 1
            except FileNotFoundError:
                continue

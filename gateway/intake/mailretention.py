"""Retention of the mail drop's own copies: raw messages do not outlive what they brought.

The mail drop keeps every message it took (``cur/``), the ones it set aside (``quarantine/``,
with their ``.reason.json``) and the ones waiting for staff (``unattached/``). They hold the
same personal data as the dossiers, so ``gateway purge`` deletes them too:

- ``cur/``: ``intake.mail_retention_days`` after delivery (the file's modification time,
  which the mail server sets and the drop's renames keep); the documents they brought live on
  in the dossier, under the dossier's own retention;
- ``quarantine/`` and ``.attempts/`` counters, and messages still waiting for staff in
  ``unattached/``: ``intake.mail_held_days`` after delivery. A waiting message that goes is
  marked ``expired`` with its sender and subject cleared, and audited, so the staff page stops
  listing it.

Each deletion is a plain unlink: a crash in between leaves files that the next purge takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.intake import MailMessage

#: the state of a waiting message whose file went past ``intake.mail_held_days``
EXPIRED = "expired"


@dataclass(frozen=True)
class MailPurgeReport:
    """How many files of each folder went (or would go, in a dry run)."""

    taken: int
    quarantined: int
    unattached: int
    bytes: int

    def as_dict(self) -> dict[str, int]:
        return {
            "taken": self.taken,
            "quarantined": self.quarantined,
            "unattached": self.unattached,
            "bytes": self.bytes,
        }


def _older(folder: Path, cutoff: dt.datetime) -> list[Path]:
    """Regular files of ``folder`` last modified before ``cutoff`` (none when it is missing)."""
    if not folder.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and p.stat().st_mtime < limit)


def _delete(paths: list[Path], dry_run: bool) -> int:
    """Deletes ``paths`` (unless ``dry_run``); returns their size in bytes."""
    size = 0
    for path in paths:
        size += path.stat().st_size
        if not dry_run:
            path.unlink(missing_ok=True)
    return size


def purge_mail_drop(
    sessions: sessionmaker[Session],
    *,
    folder: Path,
    now: dt.datetime,
    retention_days: int,
    held_days: int,
    dry_run: bool,
    actor: str = "system",
) -> MailPurgeReport:
    """Deletes the mail drop's files past retention; with ``dry_run`` only counts them."""
    taken = _older(folder / "cur", now - dt.timedelta(days=retention_days))
    held_cutoff = now - dt.timedelta(days=held_days)
    quarantined = _older(folder / "quarantine", held_cutoff)
    attempts = _older(folder / ".attempts", held_cutoff)
    unattached = _older(folder / "unattached", held_cutoff)
    size = _delete(taken, dry_run) + _delete(quarantined, dry_run) + _delete(attempts, dry_run)
    size += _delete(unattached, dry_run)
    if not dry_run and unattached:
        names = [p.name for p in unattached]
        with transaction(sessions) as session:
            waiting = session.scalars(
                select(MailMessage).where(MailMessage.state == "unattached", MailMessage.kept_name.in_(names))
            )
            for message in waiting:
                message.state, message.sender, message.subject, message.from_line = EXPIRED, "", "", ""
                audit.record(
                    session,
                    actor=actor,
                    action="intake.mail.expired",
                    target_type="mail",
                    target_id=str(message.id),
                    reason=message.reason or "",
                )
    # a quarantined message counts once, not with its reason file beside it
    messages = sum(1 for p in quarantined if not p.name.endswith(".reason.json"))
    return MailPurgeReport(len(taken), messages, len(unattached), size)

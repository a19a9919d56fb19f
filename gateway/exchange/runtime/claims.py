"""Claiming request files from the database: who checks which file, and when.

A file is claimable when it is the oldest unfinished file of its provider (so one provider's
files are checked one at a time, in order of receipt) and it is either RECEIVED or PROCESSING
under a lapsed lease (its worker died). Claiming sets PROCESSING, the claimant and a lease in
one short transaction; the claimant renews the lease while it works (:func:`renew_leases`),
and the final commit checks the claim is still its own, so a worker that lost its lease can
never commit a second outcome.

Concurrency: on PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED``, so
workers on any number of machines claim different files without waiting on each other; on
SQLite every transaction starts with ``BEGIN IMMEDIATE`` (gateway.store.db), so claims are
serialised by the database lock.

A claimant is named ``<host>:<pid>:<token>:<thread>``; at start a process frees the claims of
dead processes of its own host at once (:func:`free_dead_local_claims`) instead of waiting for
their leases to lapse.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, Update, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.store.db import affected, transaction
from gateway.store.models.accounts import Provider
from gateway.store.models.exchange import FileState, RequestFile

UNFINISHED = (FileState.RECEIVED.value, FileState.PROCESSING.value)
#: tokens of the claimant identities created in this process (all alive while it runs)
_LIVE_TOKENS: set[str] = set()


@dataclass(frozen=True)
class ProcessIdentity:
    """This process as a claimant: host, pid and a random token (pids are reused)."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> ProcessIdentity:
        """A new claimant identity in this process (one per worker service), known as alive."""
        identity = cls(socket.gethostname()[:60], os.getpid(), secrets.token_hex(4))
        _LIVE_TOKENS.add(identity.token)
        return identity

    @property
    def prefix(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}:"

    def claimant(self, thread: int | str) -> str:
        """The ``claimed_by`` value of one worker thread of this process."""
        return f"{self.prefix}{thread}"


@dataclass(frozen=True)
class Claim:
    """A file claimed by one worker: what processing needs, as values."""

    file_id: int
    claimant: str
    provider_code: str
    profession: str
    name: str
    response_name: str
    received_at: dt.datetime
    size: int
    sha256: str
    #: where the file was when claimed (inbox:..., or archive:... when resumed)
    stored_at: str
    attempts: int


def claim_next(
    sessions: sessionmaker[Session],
    claimant: str,
    *,
    now: dt.datetime,
    lease_s: float,
    archive_ref: Callable[[str, int, str, dt.datetime], str],
) -> Claim | None:
    """Claims the oldest claimable file, or returns None when there is none.

    ``archive_ref`` gives the ``stored_at`` the file will have once archived; it is written
    with the claim, so a resumed claim knows where to look.
    """
    with transaction(sessions) as session:
        connection = session.connection()
        row = connection.execute(_CLAIMABLE, {"now": now}).first()
        if row is None:
            return None
        attempts = (row.attempts or 0) + 1
        values = {
            "state": FileState.PROCESSING.value,
            "claimed_by": claimant,
            "claimed_at": now,
            "lease_until": now + dt.timedelta(seconds=lease_s),
            "attempts": attempts,
        }
        if not row.stored_at.startswith("archive:"):
            values["stored_at"] = archive_ref(row.provider_code, row.id, row.name, row.received_at)
        # Core, not the ORM: a claim is one select and one update, no unit of work to flush
        connection.execute(_claim_statement(tuple(values)), {**values, "_file_id": row.id})
        return Claim(
            file_id=row.id,
            claimant=claimant,
            provider_code=row.provider_code,
            profession=row.profession or "",
            name=row.name,
            response_name=row.response_name,
            received_at=row.received_at,
            size=row.size,
            sha256=row.sha256,
            stored_at=row.stored_at,
            attempts=attempts,
        )


@cache
def _claim_statement(columns: tuple[str, ...]) -> Update:
    """The update that claims a file, setting ``columns`` (bound by their names); built once
    per set of columns (two: with or without ``stored_at``), not per claim."""
    files = RequestFile.__table__
    return files.update().where(files.c.id == bindparam("_file_id")).values({c: bindparam(c) for c in columns})


def _claimable_query() -> Select[*tuple[Any, ...]]:
    """The oldest claimable file with its provider's profession, locked (PostgreSQL: skipped if locked)."""
    files, providers = RequestFile.__table__, Provider.__table__
    earlier = files.alias("earlier")
    blocked = (
        select(earlier.c.id)
        .where(
            earlier.c.provider_code == files.c.provider_code,
            earlier.c.state.in_(UNFINISHED),
            earlier.c.id < files.c.id,
        )
        .exists()
    )
    now = bindparam("now", type_=files.c.lease_until.type)
    return (
        select(
            files.c.id,
            files.c.provider_code,
            files.c.name,
            files.c.response_name,
            files.c.received_at,
            files.c.size,
            files.c.sha256,
            files.c.stored_at,
            files.c.attempts,
            # a subquery, not a join: FOR UPDATE then locks the file's row only, not its provider's
            select(providers.c.profession)
            .where(providers.c.code == files.c.provider_code)
            .scalar_subquery()
            .label("profession"),
        )
        .where(
            files.c.state.in_(UNFINISHED),
            or_(
                files.c.state == FileState.RECEIVED.value,
                files.c.lease_until.is_(None),
                files.c.lease_until < now,
            ),
            ~blocked,
        )
        .order_by(files.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


#: built once: the statement's compiled form is then found in SQLAlchemy's cache at once
_CLAIMABLE = _claimable_query()


def renew_leases(
    sessions: sessionmaker[Session], identity: ProcessIdentity, *, now: dt.datetime, lease_s: float
) -> int:
    """Extends the leases of every file this process holds; returns how many."""
    with transaction(sessions) as session:
        result = session.execute(
            update(RequestFile)
            .where(
                RequestFile.state == FileState.PROCESSING.value,
                RequestFile.claimed_by.startswith(identity.prefix, autoescape=True),
            )
            .values(lease_until=now + dt.timedelta(seconds=lease_s))
        )
        return affected(result) or 0


def release(sessions: sessionmaker[Session], claim: Claim, *, retry_at: dt.datetime) -> None:
    """Gives a claim back (processing failed); the file is claimable again at ``retry_at``."""
    with transaction(sessions) as session:
        session.execute(
            update(RequestFile)
            .where(
                RequestFile.id == claim.file_id,
                RequestFile.claimed_by == claim.claimant,
                RequestFile.state == FileState.PROCESSING.value,
            )
            .values(lease_until=retry_at, claimed_by=None)  # no longer renewed by this process
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is dead for our purpose
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True


def free_dead_local_claims(
    sessions: sessionmaker[Session], identity: ProcessIdentity, *, now: dt.datetime
) -> list[int]:
    """Lets files claimed by dead processes of this host be claimed at once; returns their ids."""
    freed: list[int] = []
    host_prefix = f"{identity.host}:"
    with transaction(sessions) as session:
        rows = session.execute(
            select(RequestFile.id, RequestFile.claimed_by).where(
                RequestFile.state == FileState.PROCESSING.value,
                RequestFile.claimed_by.startswith(host_prefix, autoescape=True),
            )
        ).all()
        for row in rows:
            parts = (row.claimed_by or "").split(":")
            if len(parts) != 4 or not parts[1].isdigit():
                continue
            pid, token = int(parts[1]), parts[2]
            if pid == identity.pid:
                # Same pid, unknown token: an earlier incarnation of this process (containers reuse pids).
                dead = token not in _LIVE_TOKENS
            else:
                dead = not _pid_alive(pid)
            if dead:
                # On condition that the row is still the dead claimant's: a live process may have
                # claimed it since it was read (PostgreSQL reads without locking), and overwriting
                # that fresh lease with ``now`` let a second worker claim the file at once.
                freed_now = session.execute(
                    update(RequestFile)
                    .where(
                        RequestFile.id == row.id,
                        RequestFile.state == FileState.PROCESSING.value,
                        RequestFile.claimed_by == row.claimed_by,
                    )
                    .values(lease_until=now)
                )
                if affected(freed_now):
                    freed.append(row.id)
    return freed

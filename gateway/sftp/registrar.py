"""Group commit: the registrations waiting at one moment share one database transaction.

Every completed upload must be registered in a committed transaction before its close is
answered. On SQLite (one writer at a time, one fsync per commit) a commit per file caps the
whole server at one file per fsync; here the closes of concurrent sessions that arrive while a
commit is running are registered together in the next one. Each file gets its own savepoint,
so one held name refuses that file only. A caller blocks until its own file is committed (or
refused); reçu is the moment its row is written, just before the commit.

The commits are run by the callers themselves, one at a time (leader and followers): a close
that finds no commit running commits what is waiting, its own file among it; closes that
arrive meanwhile wait, and when the leader's file is done it hands the lead to the first of
them. A lone session's close is thus committed in its own thread, with no hand-over to another
thread and back.

The usual batch, where no name is held, costs two statements (the files, their audit events),
each one prepared insert of every row, on a plain connection: no ORM session or objects, whose
bookkeeping took more of the server's time than the commit itself. Only when a name is held
is that transaction rolled back and the batch written again in a session with one savepoint
per file, to refuse just the files whose name is held.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock
from gateway.exchange.runtime.reception import (
    Incoming,
    NameHeld,
    announce_registered,
    register_many,
    register_received,
)
from gateway.logs import get_logger
from gateway.sftp.errors import ReceptionFailed
from gateway.sftp.session import Who
from gateway.store import audit
from gateway.store.db import engine_of, transaction

log = get_logger(__name__)

SOURCE = "sftp"
#: most registrations in one transaction (keeps a commit short when many wait)
MAX_BATCH = 64


@dataclass
class Registration:
    """One file waiting to be registered, and what became of it."""

    who: Who
    name: str
    size: int
    sha256: str
    started: float
    kind: str
    #: set when this file is registered or refused, or when its caller is to lead the next commit
    turn: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    settled: bool = False
    request_id: int | None = None
    error: Exception | None = None

    def outcome(self) -> int:
        """The request id, or the refusal raised."""
        if self.error is not None:
            raise self.error
        assert self.request_id is not None
        return self.request_id


class Registrar:
    """Commits registrations in batches, one batch at a time, from the callers' threads."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._engine = engine_of(sessions)
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: list[Registration] = []
        self._committing = False

    def register(self, registration: Registration) -> int:
        """Registers one file; returns its request id or raises NameHeld / ReceptionFailed."""
        with self._lock:
            self._waiting.append(registration)
            registration.leads = not self._committing
            self._committing = True
        if not registration.leads:
            registration.turn.wait()  # settled by a leader's commit, or handed the lead
        if registration.leads:
            self._lead(registration)
        return registration.outcome()

    def _lead(self, own: Registration) -> None:
        """Commits waiting batches until ``own`` is settled, then hands the lead on."""
        try:
            while not own.settled:
                with self._lock:
                    batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                self._commit(batch)
        finally:
            with self._lock:
                if self._waiting:
                    successor = self._waiting[0]
                    successor.leads = True
                    successor.turn.set()
                else:
                    self._committing = False

    def _commit(self, batch: list[Registration]) -> None:
        try:
            try:
                self._write(batch)
            except NameHeld:  # rolled back: again, one savepoint per file tells which names are held
                self._write_one_by_one(batch)
        except Exception as exc:  # the whole transaction is lost: every file in it is refused
            log.exception("registration failed", files=len(batch))
            for item in batch:
                item.request_id = None
                item.error = ReceptionFailed(f"{item.name} could not be registered; upload it again", name=item.name)
                item.error.__cause__ = exc
        finally:
            for item in batch:
                if item.request_id is None and item.error is None:  # interrupted: never left hanging
                    item.error = ReceptionFailed(
                        f"{item.name} could not be registered; upload it again", name=item.name
                    )
                item.settled = True
                item.turn.set()

    def _incoming(self, batch: list[Registration]) -> list[Incoming]:
        now = self._clock.now()
        return [
            Incoming(
                provider_code=item.who.provider_code,
                name=item.name,
                size=item.size,
                sha256=item.sha256,
                received_at=now,
                source=SOURCE,
            )
            for item in batch
        ]

    def _write(self, batch: list[Registration]) -> None:
        """The whole batch in one transaction of two statements; NameHeld if any name is held."""
        with self._engine.begin() as connection:
            ids = register_many(connection, self._incoming(batch))
            audit.record_many(connection, _audit_events(batch))
        for item, request_id in zip(batch, ids, strict=True):
            item.request_id = request_id
        announce_registered()

    def _write_one_by_one(self, batch: list[Registration]) -> None:
        """The batch again, one savepoint per file: a held name refuses that file only."""
        ids: dict[int, int] = {}  # position in the batch -> request id, known once committed
        with transaction(self._sessions) as session:
            for position, (item, incoming) in enumerate(zip(batch, self._incoming(batch), strict=True)):
                try:
                    row = register_received(
                        session,
                        provider_code=incoming.provider_code,
                        name=incoming.name,
                        size=incoming.size,
                        sha256=incoming.sha256,
                        received_at=incoming.received_at,
                        source=incoming.source,
                    )
                except NameHeld as exc:
                    item.error = exc
                    continue
                ids[position] = row.id
            audit.record_many(session, _audit_events([item for item in batch if item.error is None]))
        for position, request_id in ids.items():
            batch[position].request_id = request_id


def _audit_events(batch: list[Registration]) -> list[dict[str, Any]]:
    """The audit event of each registered file (its session, key, size, hash and duration)."""
    return [
        {
            "actor": item.who.actor,
            "action": f"sftp.{item.kind}",
            "target_type": "request_file",
            "target_id": item.name,
            "address": item.who.address,
            "sftp_session": item.who.session_id,
            "key": item.who.key_fingerprint,
            "bytes": item.size,
            "sha256": item.sha256,
            "duration_ms": round((time.monotonic() - item.started) * 1000),
        }
        for item in batch
    ]

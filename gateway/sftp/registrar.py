"""Group commit: the registrations waiting at one moment share one database transaction.

Every completed upload must be registered in a committed transaction before its close is
answered. On SQLite (one writer at a time, one fsync per commit) a commit per file caps the
whole server at one file per fsync; here the closes of concurrent sessions that arrive while a
commit is running are registered together in the next one. Each file gets its own savepoint,
so one held name refuses that file only. A caller blocks until its own file is committed (or
refused); recuLe is the moment its row is written, just before the commit.

The usual batch, where no name is held, costs two statements (the files, their audit events),
each one prepared insert of every row, with no ORM objects: on the close path the ORM's
per-row flush took more of the server's time than the commit itself. Only when a name is held
is that transaction rolled back and the batch written again with one savepoint per file, to
refuse just the files whose name is held.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock
from gateway.exchange.runtime.reception import Incoming, NameHeld, register_many, register_received
from gateway.logs import get_logger
from gateway.sftp.errors import ReceptionFailed
from gateway.sftp.session import Who
from gateway.store import audit
from gateway.store.db import transaction

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
    done: threading.Event = field(default_factory=threading.Event)
    request_id: int | None = None
    error: Exception | None = None


class Registrar:
    """Commits registrations in batches from one thread of this process."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._waiting: list[Registration] = []
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def register(self, registration: Registration) -> int:
        """Registers one file; returns its request id or raises NameHeld / ReceptionFailed."""
        with self._condition:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sftp-registrar", daemon=True)
                self._thread.start()
            self._waiting.append(registration)
            self._condition.notify()
        registration.done.wait()
        if registration.error is not None:
            raise registration.error
        assert registration.request_id is not None
        return registration.request_id

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._waiting:
                    if not self._condition.wait(timeout=60):
                        self._thread = None  # idle: a later registration starts a new thread
                        return
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            self._commit(batch)

    def _commit(self, batch: list[Registration]) -> None:
        try:
            try:
                self._write(batch, one_by_one=False)
            except NameHeld:  # rolled back: again, one savepoint per file tells which names are held
                self._write(batch, one_by_one=True)
        except Exception as exc:  # the whole transaction is lost: every file in it is refused
            log.exception("registration failed", files=len(batch))
            for item in batch:
                item.request_id = None
                item.error = ReceptionFailed(f"{item.name} could not be registered; upload it again", name=item.name)
                item.error.__cause__ = exc
        finally:
            for item in batch:
                item.done.set()

    def _write(self, batch: list[Registration], *, one_by_one: bool) -> None:
        with transaction(self._sessions) as session:
            files = [
                Incoming(
                    provider_code=item.who.provider_code,
                    name=item.name,
                    size=item.size,
                    sha256=item.sha256,
                    received_at=self._clock.now(),
                    source=SOURCE,
                )
                for item in batch
            ]
            if one_by_one:
                self._one_by_one(session, batch, files)
            else:
                for item, request_id in zip(batch, register_many(session, files), strict=True):
                    item.request_id = request_id
            audit.record_many(
                session,
                [
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
                    if item.error is None
                ],
            )

    @staticmethod
    def _one_by_one(session: Session, batch: list[Registration], files: list[Incoming]) -> None:
        for item, incoming in zip(batch, files, strict=True):
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
            item.request_id = row.id

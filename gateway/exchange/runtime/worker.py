"""The worker service: threads that claim files and take them through processing.

``gateway serve --role worker`` runs one :class:`WorkerService` with
``exchange.workers`` threads; any number of processes on any number of machines may run
beside it (claims are in the database: gateway/exchange/runtime/claims.py). Each thread claims the
oldest claimable file, processes it, and claims again; when there is nothing to claim it
sleeps until woken or ``exchange.poll_interval`` passes.

Waking: a commit that registers a request file in this process (the SFTP server's or the
watcher's) wakes the workers at once through a SQLAlchemy session hook. With ``watch_inbox``,
filesystem events in the inbox wake them too, which covers SFTP servers in other processes of
the same machine (the server removes its temp file right after its registration commits);
files registered on other machines are found by the poll (``exchange.poll_interval``).

A housekeeping thread renews the leases of the files in hand and rescans the inbox every
``exchange.rescan_interval``. ``stop`` lets each thread finish the file in hand.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from gateway.clock import Clock, SystemClock
from gateway.exchange.errors import ClaimLost
from gateway.exchange.runtime.adopt import scan_inbox
from gateway.exchange.runtime.claims import Claim, ProcessIdentity, claim_next, release, renew_leases
from gateway.exchange.runtime.processing import Processor
from gateway.exchange.runtime.reception import announce_registered, on_registration
from gateway.exchange.runtime.recovery import recover
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.store.files import make_folder
from gateway.store.models.exchange import RequestFile

log = get_logger(__name__)

# ---------------------------------------------------------------- wake-ups on registration

_listeners: weakref.WeakSet[WorkerService] = weakref.WeakSet()
#: set in ``session.info`` when a flush inserted request files: the workers wake after the commit
_NEW_REQUEST_FILE = "gateway.exchange.new_request_file"


def _wake_workers() -> None:
    for listener in list(_listeners):
        listener.wake()


on_registration(_wake_workers)  # registrations without ORM objects (the SFTP group commit)


@event.listens_for(Session, "after_flush")
def _note_new_files(session: Session, _context: UOWTransaction) -> None:
    if any(isinstance(obj, RequestFile) for obj in session.new):
        session.info[_NEW_REQUEST_FILE] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_NEW_REQUEST_FILE, False):
        announce_registered()


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_NEW_REQUEST_FILE, None)


class _WakeOnInbox(FileSystemEventHandler):
    """Wakes the workers when a file appears in or leaves an inbox folder (not on every write)."""

    def __init__(self, service: WorkerService) -> None:
        self._service = service

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("created", "moved", "deleted", "closed"):
            self._service.wake()


class WorkerService:
    """Worker threads of one process (a :class:`gateway.service.Service`)."""

    name = "worker"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        processor: Processor,
        spool: SpoolPaths,
        *,
        workers: int,
        poll_interval: float,
        lease_s: float,
        rescan_interval: float,
        quiet_period: float,
        clock: Clock | None = None,
        watch_inbox: bool = False,
    ) -> None:
        self._sessions = sessions
        self._processor = processor
        self._spool = spool
        self._workers = max(1, workers)
        self._poll = poll_interval
        self._lease = lease_s
        self._rescan = rescan_interval
        self._quiet = quiet_period
        self._clock = clock or SystemClock()
        self.identity = ProcessIdentity.current()
        self._stopping = threading.Event()
        self._condition = threading.Condition()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._in_hand: dict[int, Claim] = {}
        self._watch_inbox = watch_inbox
        self._observer: BaseObserver | None = None

    # ------------------------------------------------------------------ Service

    def start(self) -> None:
        """Recovers unfinished work, then starts the worker and housekeeping threads."""
        recover(self._sessions, self._spool, self.identity, now=self._clock.now(), min_age_s=self._quiet)
        _listeners.add(self)
        for index in range(self._workers):
            thread = threading.Thread(target=self._run, args=(index,), name=f"exchange-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        housekeeping = threading.Thread(target=self._housekeep, name="exchange-housekeeping", daemon=True)
        housekeeping.start()
        self._threads.append(housekeeping)
        if self._watch_inbox:
            make_folder(self._spool.inbox)
            self._observer = Observer()
            self._observer.schedule(_WakeOnInbox(self), str(self._spool.inbox), recursive=True)
            self._observer.start()

    def stop(self) -> None:
        """Stops claiming; returns once every thread has finished the file in hand."""
        self._stopping.set()
        _listeners.discard(self)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        self.wake()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def wake(self) -> None:
        """Tells idle threads there may be work (a file was registered)."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    @property
    def busy(self) -> int:
        """Files in hand right now."""
        return len(self._in_hand)

    # ------------------------------------------------------------------ threads

    def _run(self, index: int) -> None:
        claimant = self.identity.claimant(index)
        while not self._stopping.is_set():
            generation = self._generation
            started = time.perf_counter()
            try:
                claim = claim_next(
                    self._sessions,
                    claimant,
                    now=self._clock.now(),
                    lease_s=self._lease,
                    archive_ref=SpoolPaths.archive_ref,
                )
            except Exception:
                log.exception("claiming failed", worker=claimant)
                claim = None
            if claim is not None:
                log.debug(
                    "file claimed",
                    file_id=claim.file_id,
                    claim_ms=round((time.perf_counter() - started) * 1000, 1),
                    since_receipt_ms=round((self._clock.now() - claim.received_at).total_seconds() * 1000, 1),
                )
            if claim is None:
                with self._condition:
                    if self._generation == generation and not self._stopping.is_set():
                        self._condition.wait(self._poll)
                continue
            self._handle(claim)

    def _handle(self, claim: Claim) -> None:
        bound = log.bind(provider=claim.provider_code, file=claim.name, file_id=claim.file_id)
        self._in_hand[claim.file_id] = claim
        try:
            result = self._processor.process(claim)
        except ClaimLost:
            bound.warning("claim lapsed while processing; another worker finished the file")
        except Exception:  # noqa: BLE001 - a worker thread must not die: the file is retried
            retry_at = self._clock.now() + dt.timedelta(seconds=min(self._lease, 30.0))
            bound.exception("processing failed; the file will be retried", retry_at=retry_at.isoformat())
            try:
                release(self._sessions, claim, retry_at=retry_at)
            except Exception:  # noqa: BLE001 - the database is down too: the lease lapses on its own
                bound.exception("could not release the claim; it lapses with its lease")
        else:
            bound.info(
                "file answered",
                status=result.status,
                response=result.response,
                forwarded=result.forwarded,
                attempt=claim.attempts,
                response_existed=result.response_existed,
            )
        finally:
            self._in_hand.pop(claim.file_id, None)

    def _housekeep(self) -> None:
        renew_every = max(0.05, self._lease / 4)
        # One early rescan for files that were too fresh at start, then the regular rhythm.
        next_rescan = self._clock.now() + dt.timedelta(seconds=self._quiet + 0.5)
        while not self._stopping.wait(min(renew_every, self._rescan)):
            now = self._clock.now()
            try:
                if self._in_hand:
                    renew_leases(self._sessions, self.identity, now=now, lease_s=self._lease)
                if now >= next_rescan:
                    next_rescan = now + dt.timedelta(seconds=self._rescan)
                    if any(
                        a.result == "registered"
                        for a in scan_inbox(self._sessions, self._spool, now=now, min_age_s=self._quiet)
                    ):
                        self.wake()
            except Exception:
                log.exception("worker housekeeping failed")

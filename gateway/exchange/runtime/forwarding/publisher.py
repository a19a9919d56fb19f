"""The publisher role: outbox rows to the broker, confirmed, in order, without loss.

One thread loops: claim a provider's next rows (:func:`.outbox.claim_batch`), publish them one
by one, each returning only after the broker's confirm, then mark the confirmed ones sent.
When the broker is unreachable or refuses a message, the rows not yet confirmed are given
back and the thread waits, doubling the wait from ``retry_initial`` up to ``retry_max``
(with jitter, so several nodes do not reconnect in step), then starts again from the oldest
unsent row: nothing is skipped, nothing overtakes. A crash between a confirm and the mark
publishes the message again later with the same ``message_id``; consumers drop duplicates
by id.

What the publisher last saw of the broker is written to ``publisher_status`` (at most every
:data:`STATUS_INTERVAL` seconds, at once when it changes), so /status on any node can tell.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.config import ForwardingSettings, declared
from gateway.exchange.faults import fault_point
from gateway.exchange.runtime.forwarding import outbox
from gateway.exchange.runtime.forwarding.broker import Broker, BrokerUnavailable, Message
from gateway.exchange.runtime.forwarding.records import SCHEMA_VERSION, RecordDocument, records_by_id
from gateway.logs import get_logger
from gateway.store.db import transaction
from gateway.store.models.forwarding import MessageKind, PublisherStatus

log = get_logger(__name__)

#: a publisher refreshes its status row at least this often (seconds)
STATUS_INTERVAL = 10.0
#: status rows of publishers not seen for this long are deleted when another one starts
FORGET_AFTER = dt.timedelta(days=1)


def build_message(pending: outbox.Pending, records: dict[int, RecordDocument]) -> Message:
    """The AMQP message of one outbox row (a record's body is its whole record document)."""
    if pending.kind == MessageKind.RECORD.value:
        assert pending.forwarded_record_id is not None, "a record message names its record"
        record = records[pending.forwarded_record_id]
        body, convention = record, record["convention"]
    else:
        body = json.loads(pending.payload or "{}")
        convention = body.get("convention") or ""
    headers: dict[str, str | int | bool] = {
        "provider": pending.provider_code,
        "convention": convention,
        "schema_version": SCHEMA_VERSION,
    }
    if pending.replay:
        headers["replay"] = True
    return Message(
        message_id=pending.message_id,
        type=f"forwarded-{pending.kind}",
        routing_key=f"{pending.kind}.{convention or '-'}.{pending.provider_code}",
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        headers=headers,
    )


class StatusBoard:
    """This publisher's row in ``publisher_status``."""

    def __init__(self, sessions: sessionmaker[Session], name: str, broker: str, clock: Clock) -> None:
        self._sessions, self._name, self._broker, self._clock = sessions, name, broker, clock
        self._written = 0.0
        self._failing: bool | None = None
        self._sent = 0

    def register(self) -> None:
        now = self._clock.now()
        with transaction(self._sessions) as session:
            session.execute(delete(PublisherStatus).where(PublisherStatus.seen_at < now - FORGET_AFTER))
            session.merge(PublisherStatus(name=self._name, broker=self._broker, started_at=now, seen_at=now, sent=0))
        self._written = time.monotonic()

    def _write(self, failing: bool | None, error: str | None = None) -> None:
        """Refreshes the row: seen, count, and the outcome (None: no new outcome)."""
        now = self._clock.now()
        with transaction(self._sessions) as session:
            row = session.get(PublisherStatus, self._name)
            if row is None:
                return
            row.seen_at, row.sent = now, self._sent
            if failing is True:
                row.last_error_at, row.last_error = now, error
            elif failing is False:
                row.last_success_at = now
        if failing is not None:
            self._failing = failing
        self._written = time.monotonic()

    def _due(self, failing: bool) -> bool:
        return failing != self._failing or time.monotonic() - self._written >= STATUS_INTERVAL

    def success(self, sent: int = 0) -> None:
        """The broker answered (written at once after a failure, else at most every STATUS_INTERVAL)."""
        self._sent += sent
        if self._due(False):
            self._write(False)

    def failure(self, error: str) -> None:
        """The broker (or the database) failed (written at once when it starts failing)."""
        if self._due(True):
            self._write(True, error)

    def flush(self) -> None:
        """Writes the count now (the process is stopping)."""
        self._write(None)


class PublisherService:
    """``gateway serve --role publisher``: one thread publishing the outbox to ``broker``."""

    name = "publisher"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        broker: Broker,
        *,
        claimant: str,
        broker_name: str,
        batch_size: int = declared(ForwardingSettings, "batch_size"),
        lease_s: float = declared(ForwardingSettings, "claim_lease"),
        poll_interval: float = declared(ForwardingSettings, "poll_interval"),
        retry_initial: float = declared(ForwardingSettings, "retry_initial"),
        retry_max: float = declared(ForwardingSettings, "retry_max"),
        clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self._broker = broker
        self.claimant = claimant
        self._batch_size = batch_size
        self._lease_s = lease_s
        self._poll_interval = poll_interval
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status = StatusBoard(sessions, claimant, broker_name, self._clock)

    def start(self) -> None:
        self.status.register()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._broker.close()
        try:
            self.status.flush()
        except Exception:  # stopping anyway; the row only ages
            log.exception("publisher could not record its last count")

    # ------------------------------------------------------------------ work

    def publish_batch(self) -> int:
        """Claims and publishes one batch; returns how many the broker confirmed (raises BrokerUnavailable)."""
        batch = outbox.claim_batch(
            self._sessions, self.claimant, now=self._clock.now(), lease_s=self._lease_s, limit=self._batch_size
        )
        if not batch:
            return 0
        with self._sessions() as session:
            records = records_by_id(session, [p.forwarded_record_id for p in batch if p.forwarded_record_id])
        confirmed: list[int] = []
        renew_at = time.monotonic() + self._lease_s / 3
        try:
            for pending in batch:
                if self._stop.is_set():
                    break
                self._broker.publish(build_message(pending, records))
                fault_point("publisher_after_confirm")
                confirmed.append(pending.id)
                if time.monotonic() > renew_at:
                    outbox.renew(self._sessions, self.claimant, now=self._clock.now(), lease_s=self._lease_s)
                    renew_at = time.monotonic() + self._lease_s / 3
        finally:
            # Only what the broker confirmed is marked; the rest goes back to the queue as it was.
            outbox.mark_sent(self._sessions, confirmed, now=self._clock.now())
            if len(confirmed) < len(batch):
                outbox.release(self._sessions, self.claimant)
        return len(confirmed)

    def _loop(self) -> None:
        delay = self._retry_initial
        while not self._stop.is_set():
            try:
                sent = self.publish_batch()
                if not sent:
                    self._broker.idle(self._poll_interval)  # keeps the connection (heartbeats) and notices loss
                self.status.success(sent)
                delay = self._retry_initial
            except BrokerUnavailable as exc:
                log.warning("broker unavailable", error=exc.message, retry_in=round(delay, 1))
                self._give_back(exc.message)
                self._stop.wait(delay * random.uniform(0.8, 1.2))
                delay = min(self._retry_max, delay * 2)
            except Exception as exc:  # the database, most likely: the same back-off, never a dead thread
                log.exception("publisher failed")
                self._give_back(f"{type(exc).__name__}: {exc}"[:500])
                self._stop.wait(delay * random.uniform(0.8, 1.2))
                delay = min(self._retry_max, delay * 2)

    def _give_back(self, error: str) -> None:
        try:
            outbox.release(self._sessions, self.claimant)
            self.status.failure(error)
        except Exception:  # the database is down too: the leases will lapse
            log.exception("publisher could not record its failure")

"""What /status and /metrics say about the push to the broker, read from the database.

Any node can tell: the outbox holds what is still owed, ``publisher_status`` what each
publisher process last saw of the broker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.exchange.runtime.forwarding.outbox import backlog
from gateway.exchange.runtime.forwarding.publisher import STATUS_INTERVAL
from gateway.store.models.forwarding import PublisherStatus

#: a publisher whose status row is older than this is taken for dead
LIVE = dt.timedelta(seconds=6 * STATUS_INTERVAL)
#: an unsent message older than this is a warning even while the broker answers
STALE_SECONDS = 300


@dataclass(frozen=True)
class ForwardingHealth:
    """The outbox backlog and the publishers' view of the broker."""

    unsent: int
    oldest_age_s: float
    publishers: int
    #: a live publisher whose last attempt failed: (broker, since, error)
    failing: tuple[str, dt.datetime, str] | None
    broker: str

    @property
    def problem(self) -> str | None:
        """Why an operator should look, or None."""
        if self.failing is not None:
            broker, since, error = self.failing
            return f"broker {broker} unreachable since {since:%Y-%m-%d %H:%M:%S} UTC ({error}); {self.unsent} unsent"
        if self.unsent and not self.publishers:
            return f"{self.unsent} message(s) for the broker waiting and no publisher running"
        if self.unsent and self.oldest_age_s > STALE_SECONDS:
            return f"oldest unsent message waiting {int(self.oldest_age_s)} s ({self.unsent} unsent)"
        return None

    @property
    def summary(self) -> str:
        if not self.publishers and not self.unsent:
            return "no publisher (pull only)"
        return f"broker {self.broker}: {self.unsent} unsent, {self.publishers} publisher(s)"


def forwarding_health(session: Session, now: dt.datetime) -> ForwardingHealth:
    """The figures and the broker's state as the live publishers last recorded them."""
    owed = backlog(session)
    live = list(
        session.scalars(
            select(PublisherStatus).where(PublisherStatus.seen_at > now - LIVE).order_by(PublisherStatus.seen_at.desc())
        )
    )
    failing = None
    for row in live:
        if row.last_error_at is not None and (row.last_success_at is None or row.last_error_at > row.last_success_at):
            failing = (row.broker, row.last_error_at, row.last_error or "")
            break
    age = max(0.0, (now - owed.oldest).total_seconds()) if owed.oldest is not None else 0.0
    return ForwardingHealth(
        unsent=owed.unsent,
        oldest_age_s=age,
        publishers=len(live),
        failing=failing,
        broker=live[0].broker if live else "",
    )

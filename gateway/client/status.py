"""``status``: where each request file stands, from the local database alone (no network).

A file made and not pushed is ``made``; pushed without an imported response, ``pending``;
answered, the response's ``Statut``. A response for a file this client does not know (pushed
by other software) is counted by its status too. The latest response wins when a name was
used more than once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.client.store import LocalFinding, LocalRequest, LocalResponse
from gateway.exchange.model import FileStatus

MADE = "made"
PENDING = "pending"
#: order in which states are shown
STATES = (MADE, PENDING, FileStatus.ACCEPTE.value, FileStatus.PARTIELLEMENT_ACCEPTE.value,
          FileStatus.REJETE.value, FileStatus.DOUBLON.value)


@dataclass(frozen=True)
class FileLine:
    """One request file and where it stands."""

    name: str
    state: str
    mode: str | None
    records: int | None
    amount: str | None
    made_or_pushed_at: str | None
    records_rejected: int | None = None
    amount_accepted: str | None = None
    errors: int = 0


@dataclass(frozen=True)
class Summary:
    """Counts per state and the files that need a look (made, pending, rejected in part or whole)."""

    counts: dict[str, int]
    files: list[FileLine] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-friendly."""
        return {"counts": self.counts, "files": [asdict(f) for f in self.files]}


def _text(value: Decimal | dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else f"{value:.2f}"


def summarise(sessions: sessionmaker[Session], *, show_all: bool = False) -> Summary:
    """Counts every file by state; lists the ones not simply accepted (every one with ``show_all``)."""
    with sessions() as session:
        latest: dict[tuple[str, str], LocalResponse] = {}
        for response in session.scalars(select(LocalResponse).order_by(LocalResponse.received_at, LocalResponse.id)):
            latest[(response.request_name, response.request_sha256)] = response
        error_counts = dict(session.execute(
            select(LocalFinding.response_id, func.count()).group_by(LocalFinding.response_id)).all())
        counts: Counter[str] = Counter({state: 0 for state in STATES})
        files = []
        for request in session.scalars(select(LocalRequest).order_by(LocalRequest.made_at, LocalRequest.id)):
            response = latest.pop((request.name, request.sha256), None)
            if response is not None:
                state = response.status
            else:
                state = PENDING if request.pushed_at else MADE
            counts[state] += 1
            if show_all or state != FileStatus.ACCEPTE.value:
                files.append(FileLine(
                    name=request.name, state=state, mode=request.mode, records=request.record_count,
                    amount=_text(request.amount), made_or_pushed_at=_text(request.pushed_at or request.made_at),
                    records_rejected=response.records_rejected if response else None,
                    amount_accepted=_text(response.amount_accepted) if response else None,
                    errors=error_counts.get(response.id, 0) if response else 0,
                ))
        for response in latest.values():  # answered files this client did not make or push
            counts[response.status] += 1
            if show_all or response.status != FileStatus.ACCEPTE.value:
                files.append(FileLine(
                    name=response.request_name, state=response.status, mode=response.mode,
                    records=response.records_received, amount=_text(response.amount_received),
                    made_or_pushed_at=_text(response.received_at), records_rejected=response.records_rejected,
                    amount_accepted=_text(response.amount_accepted), errors=error_counts.get(response.id, 0),
                ))
    return Summary(counts=dict(counts), files=files)

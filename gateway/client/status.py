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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.client.store import LocalFinding, LocalRequest, LocalResponse, LocalResponseRecord
from gateway.exchange.checks.model import FileStatus

MADE = "made"
PENDING = "pending"
#: order in which states are shown
STATES = (
    MADE,
    PENDING,
    FileStatus.ACCEPTE.value,
    FileStatus.PARTIELLEMENT_ACCEPTE.value,
    FileStatus.REJETE.value,
    FileStatus.DOUBLON.value,
)


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
    #: what the response said, one line per ``Erreur`` in its order (see :class:`Message`)
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    """One ``Erreur`` of a response, as the provider reads it."""

    code: str
    severity: str
    #: the record's position in the file (None: about the whole file)
    record: int | None
    line: int | None
    path: str | None
    message_fr: str
    message_en: str

    def text(self, lang: str = "en") -> str:
        """``SEVERITY CODE record N line L: message``."""
        where = "".join((f" record {self.record}" if self.record else "", f" line {self.line}" if self.line else ""))
        return f"{self.severity} {self.code}{where}: {self.message_fr if lang == 'fr' else self.message_en}"


@dataclass(frozen=True)
class Summary:
    """Counts per state and the files that need a look (made, pending, rejected in part or whole)."""

    counts: dict[str, int]
    files: list[FileLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
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
        error_counts = dict(
            session.execute(select(LocalFinding.response_id, func.count()).group_by(LocalFinding.response_id)).all()
        )

        def messages(response: LocalResponse | None) -> list[Message]:
            if response is None or not error_counts.get(response.id):
                return []
            rows = session.execute(
                select(LocalFinding, LocalResponseRecord.position)
                .outerjoin(LocalResponseRecord, LocalResponseRecord.id == LocalFinding.record_row_id)
                .where(LocalFinding.response_id == response.id)
                .order_by(LocalFinding.position)
            ).all()
            return [
                Message(f.code, f.severity, position, f.line, f.path, f.message_fr, f.message_en)
                for f, position in rows
            ]

        counts: Counter[str] = Counter(dict.fromkeys(STATES, 0))
        files = []
        for request in session.scalars(select(LocalRequest).order_by(LocalRequest.made_at, LocalRequest.id)):
            answer = latest.pop((request.name, request.sha256), None)
            if answer is not None:
                state = answer.status
            else:
                state = PENDING if request.pushed_at else MADE
            counts[state] += 1
            if show_all or state != FileStatus.ACCEPTE.value:
                files.append(
                    FileLine(
                        name=request.name,
                        state=state,
                        mode=request.mode,
                        records=request.record_count,
                        amount=_text(request.amount),
                        made_or_pushed_at=_text(request.pushed_at or request.made_at),
                        records_rejected=answer.records_rejected if answer else None,
                        amount_accepted=_text(answer.amount_accepted) if answer else None,
                        errors=error_counts.get(answer.id, 0) if answer else 0,
                        messages=messages(answer),
                    )
                )
        for response in latest.values():  # answered files this client did not make or push
            counts[response.status] += 1
            if show_all or response.status != FileStatus.ACCEPTE.value:
                files.append(
                    FileLine(
                        name=response.request_name,
                        state=response.status,
                        mode=response.mode,
                        records=response.records_received,
                        amount=_text(response.amount_received),
                        made_or_pushed_at=_text(response.received_at),
                        records_rejected=response.records_rejected,
                        amount_accepted=_text(response.amount_accepted),
                        errors=error_counts.get(response.id, 0),
                        messages=messages(response),
                    )
                )
    return Summary(counts=dict(counts), files=files)

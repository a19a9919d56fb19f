"""Figures of the dashboard, read from the database for a window of days.

Days are counted in the fund's time zone (a file received at 00:30 in Luxembourg belongs to
that day). Everything is computed by grouping in SQL except the percentiles of the
deposit-to-response time, taken over at most :data:`TIMING_SAMPLE` latest answered files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from gateway.store.models.exchange import FileState, RequestFile, RequestFinding

TIMING_SAMPLE = 5000
WINDOWS = (1, 7, 30)


@dataclass(frozen=True)
class Timings:
    """Deposit-to-response seconds over a window."""

    count: int
    median: float | None
    p95: float | None
    worst: float | None


@dataclass(frozen=True)
class DayFigures:
    """One day of the charts."""

    day: dt.date
    files: int
    rejected: int

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.files if self.files else None


def window_start(now: dt.datetime, days: int, timezone: str) -> dt.datetime:
    """Local midnight ``days - 1`` days before today (days=1: today)."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), zone)
    return start.astimezone(dt.UTC)


def files_by_convention_status(session: Session, since: dt.datetime) -> dict[tuple[str, str], int]:
    """(convention, status) -> count of files received since ``since``; unfinished as their state."""
    rows = session.execute(
        select(RequestFile.convention, RequestFile.status, RequestFile.state, func.count())
        .where(RequestFile.received_at >= since, RequestFile.voided_at.is_(None))
        .group_by(RequestFile.convention, RequestFile.status, RequestFile.state)
    )
    result: Counter[tuple[str, str]] = Counter()
    for convention, status, state, count in rows:
        result[(convention or "—", status or state)] += count
    return dict(result)


def timings(session: Session, since: dt.datetime) -> Timings:
    rows = session.execute(
        select(RequestFile.received_at, RequestFile.answered_at)
        .where(RequestFile.received_at >= since, RequestFile.answered_at.is_not(None))
        .order_by(RequestFile.id.desc())
        .limit(TIMING_SAMPLE)
    ).all()
    values = sorted(
        max(0.0, (answered - received).total_seconds()) for received, answered in rows if answered is not None
    )
    if not values:
        return Timings(0, None, None, None)
    return Timings(
        len(values), values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.95))], values[-1]
    )


def rejections_by_code(session: Session, since: dt.datetime, limit: int = 20) -> list[tuple[str, str, int]]:
    """(code, severity, count) of findings in files received since ``since``, most frequent first."""
    rows = session.execute(
        select(RequestFinding.code, RequestFinding.severity, func.count())
        .join(RequestFile, RequestFile.id == RequestFinding.request_file_id)
        .where(RequestFile.received_at >= since, RequestFile.voided_at.is_(None))
        .group_by(RequestFinding.code, RequestFinding.severity)
        .order_by(func.count().desc(), RequestFinding.code)
        .limit(limit)
    )
    return [(code, severity, count) for code, severity, count in rows]


def _utc_hour(session: Session) -> ColumnElement[str]:
    """``received_at`` truncated to its UTC hour, as text ``YYYY-MM-DD HH`` on every database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(RequestFile.received_at, 1, 13)  # stored as "YYYY-MM-DD HH:MM:SS" in UTC
    return func.to_char(func.timezone("UTC", RequestFile.received_at), "YYYY-MM-DD HH24")


def per_day(session: Session, now: dt.datetime, days: int, timezone: str) -> list[DayFigures]:
    """Files received and files rejected (REJETE) per local day, oldest first, every day present.

    Counted per UTC hour in SQL (at most 24 rows a day, whatever the volume), then put into
    local days here: every offset of the fund's time zone is a whole number of hours.
    """
    zone = ZoneInfo(timezone)
    since = window_start(now, days, timezone)
    hour = _utc_hour(session)
    rejected_case = func.sum(case((RequestFile.status == "REJETE", 1), else_=0))
    rows = session.execute(
        select(hour, func.count(), rejected_case)
        .where(RequestFile.received_at >= since, RequestFile.voided_at.is_(None))
        .group_by(hour)
    )
    files: Counter[dt.date] = Counter()
    rejected: Counter[dt.date] = Counter()
    for stamp, count, rejections in rows:
        moment = dt.datetime.strptime(stamp, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
        day = moment.astimezone(zone).date()
        files[day] += count
        rejected[day] += rejections or 0
    first = since.astimezone(zone).date()
    return [
        DayFigures(
            first + dt.timedelta(days=i), files[first + dt.timedelta(days=i)], rejected[first + dt.timedelta(days=i)]
        )
        for i in range(days)
    ]


def unanswered(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(RequestFile).where(RequestFile.state != FileState.ANSWERED))
        or 0
    )

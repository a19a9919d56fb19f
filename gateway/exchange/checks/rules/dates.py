"""DAT-001 to DAT-004: act dates against the period, the day of receipt and the prescription."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import cache

from gateway.exchange.checks.messages import Where, finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.rules.context import RuleContext, record_rule
from gateway.exchange.checks.rules.record import ActLine, RecordView
from gateway.exchange.checks.rules.values import parse_date


def _where(line: ActLine) -> Where:
    return {"line": line.date_value.line, "path": line.date_value.path, "value": line.date_value.text}


@cache
def _window(days: int) -> tuple[dt.timedelta, dt.date]:
    """DAT-004's span and the last prescription day it can be added to (later ones reach date.max)."""
    span = dt.timedelta(days=days)
    return span, dt.date.max - span


@record_rule()
def check_dates(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """DAT-001 to DAT-003 for each act date; DAT-004 as the convention's registry record defines it."""
    prescribed = parse_date(record.prescribed.text)
    for line in record.lines:
        date = line.date
        if date is None:
            continue
        if not context.start <= date <= context.end:
            yield finding("DAT-001", start=context.start.isoformat(), end=context.end.isoformat(), **_where(line))
        if date > context.day:
            yield finding("DAT-002", day=context.day.isoformat(), **_where(line))
        if prescribed is not None and date < prescribed:
            yield finding("DAT-003", prescribed=prescribed.isoformat(), **_where(line))
    if prescribed is None:
        return
    spec = context.spec
    days = spec.prescription_days
    span, latest = _window(days)
    limit = prescribed + span if prescribed < latest else dt.date.max
    judged: Sequence[ActLine] = record.lines
    if (session := spec.session_code) is not None:  # the course of sessions starts with its first session
        sessions = [line for line in judged if line.date is not None and session.match(line.code.text)]
        # every session kept has its date: the filter above
        judged = [min(sessions, key=lambda line: line.date or dt.date.min)] if sessions else []
    for line in judged:
        if line.date is not None and line.date > limit:
            yield finding("DAT-004", days=days, prescribed=prescribed.isoformat(), **_where(line))

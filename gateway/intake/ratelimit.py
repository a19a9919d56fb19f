"""Hourly limits of the public form, per source address (shared by every web node).

The web layer calls :func:`hit` before creating an application (action ``application``) or
accepting an upload (action ``upload``); it raises :class:`RateLimited` when the address
already did ``limit`` of them within the last hour, and otherwise counts this one.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.intake.errors import RateLimited
from gateway.store.db import affected, transaction
from gateway.store.models.intake import RateEvent

WINDOW = dt.timedelta(hours=1)


class Action(StrEnum):
    """What the public form counts."""

    APPLICATION = "application"
    UPLOAD = "upload"


def hit(sessions: sessionmaker[Session], *, address: str, action: Action, limit: int, now: dt.datetime) -> int:
    """Counts one ``action`` from ``address``; returns how many remain in the hour.

    Raises :class:`RateLimited` (nothing counted) when ``limit`` is already reached.
    """
    with transaction(sessions) as session:
        used = session.execute(
            select(func.count())
            .select_from(RateEvent)
            .where(RateEvent.address == address, RateEvent.action == str(action), RateEvent.at > now - WINDOW)
        ).scalar_one()
        if used >= limit:
            raise RateLimited(
                f"too many {action}s from this address in the last hour (limit {limit}); try again later",
                address=address,
                action=str(action),
                limit=limit,
            )
        session.add(RateEvent(address=address, action=str(action), at=now))
    return limit - used - 1


def prune(session: Session, now: dt.datetime) -> int:
    """Deletes events older than the window (they no longer count); returns how many."""
    return affected(session.execute(delete(RateEvent).where(RateEvent.at <= now - WINDOW))) or 0

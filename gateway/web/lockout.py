"""The one lockout of staff checks: password at login, current password, second-factor code.

Every failed check is a row in ``staff_login_failures`` (so every web node sees it) and they
all count together: a login with ``after_failures`` failures of any kind within ``seconds``
is locked for the rest of that window, and so is an address with four times as many (password
spraying). While locked, nothing is checked at all, so a right guess is not even noticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway.store.models.web import FailureKind, StaffLoginFailure


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within how long lock a login (and, four times as many, an address).

    Both come from ``web.lockout_after_failures`` and ``web.lockout_seconds``."""

    after_failures: int
    seconds: int

    @property
    def address_failures(self) -> int:
        """Failures from one address, whatever the logins, that stop it trying (password spraying)."""
        return 4 * self.after_failures


def is_locked(session: Session, policy: LockoutPolicy, *, login: str, address: str, now: dt.datetime) -> bool:
    """True when ``login`` or ``address`` has had too many recent failures."""
    since = now - dt.timedelta(seconds=policy.seconds)
    failures = (
        session.scalar(
            select(func.count())
            .select_from(StaffLoginFailure)
            .where(StaffLoginFailure.login == login, StaffLoginFailure.at > since)
        )
        or 0
    )
    if failures >= policy.after_failures:
        return True
    if not address:
        return False
    from_address = (
        session.scalar(
            select(func.count())
            .select_from(StaffLoginFailure)
            .where(StaffLoginFailure.address == address, StaffLoginFailure.at > since)
        )
        or 0
    )
    return from_address >= policy.address_failures


def record_failure(
    session: Session, policy: LockoutPolicy, *, login: str, address: str, kind: FailureKind, now: dt.datetime
) -> None:
    """Notes one failed check (in the caller's transaction)."""
    session.add(StaffLoginFailure(login=login, address=address, kind=kind, at=now))
    # Failures older than the window no longer count: keep the table small.
    session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.at <= now - dt.timedelta(seconds=policy.seconds)))


def clear(session: Session, login: str) -> None:
    """Forgets a login's failures once it has passed every check."""
    session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.login == login))

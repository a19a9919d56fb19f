"""Staff sessions as server-side records: open, resolve, list, revoke.

The browser holds a random 256-bit token; the table holds its SHA-256 (a database leak gives
no usable session) and a separate random ``ref`` that names the session in the revocation
forms. A session is *pending* between the password and the second factor: it opens only
the second-factor pages and lives :data:`PENDING_SECONDS`. Revoking a session deletes its
row, so the very next request with its cookie is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.errors import NotFound
from gateway.staff_roles import StaffRole
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.web import StaffSession, StaffUser

#: how long a password-checked session may wait for its second factor
PENDING_SECONDS = 300
#: last_seen_at is written at most this often, so that reading pages does not write on each one
TOUCH_SECONDS = 60
USER_AGENT_CHARS = 200


@dataclass(frozen=True)
class StaffView:
    """A logged-in staff member as the pages see them."""

    id: int
    login: str
    role: StaffRole

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return f"staff:{self.login}"


@dataclass(frozen=True)
class LiveSession:
    """The session a request came with."""

    user: StaffView
    ref: str
    pending: bool


@dataclass(frozen=True)
class SessionInfo:
    """One active session, as listed on the account and admin pages."""

    ref: str
    login: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    address: str
    user_agent: str
    pending: bool


def digest(token: str) -> str:
    """The SHA-256 under which a session token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_ref() -> str:
    """A session's random ``ref`` (128 bits, hex).

    Hex, not URL-safe base64: one ref in 64 of that alphabet began with ``-``, which the
    command line then read as an option (``gateway staff end-session -N9_...``).
    """
    return secrets.token_hex(16)


def open_session(
    session: Session, user: StaffUser, *, pending: bool, address: str, user_agent: str, max_age: int, now: dt.datetime
) -> str:
    """Adds a session row for ``user`` (in the caller's transaction); returns the cookie token.

    Called only once the password (and, unless ``pending``, the second factor) was checked.
    """
    token = secrets.token_urlsafe(32)
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    lifetime = PENDING_SECONDS if pending else max_age
    session.add(
        StaffSession(
            token_hash=digest(token),
            ref=new_ref(),
            staff_id=user.id,
            pending=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(seconds=lifetime),
            address=address[:64],
            user_agent=user_agent[:USER_AGENT_CHARS],
        )
    )
    return token


def resolve(sessions: sessionmaker[Session], token: str, *, now: dt.datetime) -> LiveSession | None:
    """The live session of a cookie token (pending or not), or None; notes when it was last seen."""
    if not token:
        return None
    with sessions() as session:
        row = session.execute(
            select(StaffSession.ref, StaffSession.pending, StaffSession.last_seen_at, StaffUser)
            .join(StaffUser, StaffSession.staff_id == StaffUser.id)
            .where(StaffSession.token_hash == digest(token), StaffSession.expires_at > now, StaffUser.enabled.is_(True))
        ).one_or_none()
        if row is None:
            return None
        ref, pending, last_seen, user = row
        live = LiveSession(StaffView(user.id, user.login, StaffRole(user.role)), ref, pending)
    if now - last_seen > dt.timedelta(seconds=TOUCH_SECONDS):
        with transaction(sessions) as session:
            session.execute(update(StaffSession).where(StaffSession.ref == ref).values(last_seen_at=now))
    return live


def session_user(sessions: sessionmaker[Session], token: str, *, now: dt.datetime) -> StaffView | None:
    """The staff member of a live, complete session token, or None."""
    live = resolve(sessions, token, now=now)
    return live.user if live and not live.pending else None


def list_sessions(sessions: sessionmaker[Session], *, login: str | None = None, now: dt.datetime) -> list[SessionInfo]:
    """Active sessions, of one login or of everyone, most recently seen first."""
    query = (
        select(StaffSession, StaffUser.login)
        .join(StaffUser, StaffSession.staff_id == StaffUser.id)
        .where(StaffSession.expires_at > now)
        .order_by(StaffSession.last_seen_at.desc())
    )
    if login is not None:
        query = query.where(StaffUser.login == login)
    with sessions() as session:
        return [
            SessionInfo(
                row.ref,
                name,
                row.created_at,
                row.last_seen_at,
                row.expires_at,
                row.address,
                row.user_agent,
                row.pending,
            )
            for row, name in session.execute(query)
        ]


def revoke(
    sessions: sessionmaker[Session], ref: str, *, actor: str, address: str, only_login: str | None = None
) -> None:
    """Ends one session by its ref; ``only_login`` restricts it to that member's own sessions."""
    with transaction(sessions) as session:
        query = (
            select(StaffSession, StaffUser.login)
            .join(StaffUser, StaffSession.staff_id == StaffUser.id)
            .where(StaffSession.ref == ref)
        )
        if only_login is not None:
            query = query.where(StaffUser.login == only_login)
        found = session.execute(query).one_or_none()
        if found is None:
            raise NotFound("no such session (it may have ended already)", code="WEB-SESSION-NOT-FOUND")
        session.delete(found[0])
        audit.record(
            session,
            actor=actor,
            action="staff.session.revoke",
            target_type="staff",
            target_id=found[1],
            address=address,
        )


def end_sessions(session: Session, staff_id: int, *, keep_token: str = "") -> None:
    """Ends every session of a staff member but the one of ``keep_token`` (caller's transaction)."""
    query = delete(StaffSession).where(StaffSession.staff_id == staff_id)
    if keep_token:
        query = query.where(StaffSession.token_hash != digest(keep_token))
    session.execute(query)


def log_out(sessions: sessionmaker[Session], token: str, *, actor: str, address: str) -> None:
    """Ends the session of a token."""
    with transaction(sessions) as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == digest(token)))
        audit.record(session, actor=actor, action="staff.logout", address=address)

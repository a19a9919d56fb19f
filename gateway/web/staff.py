"""Staff accounts: creation, login with lockout, sessions, API keys.

Plain functions over a session factory, used by the web pages and by ``gateway staff`` /
``gateway apikey``. Each change is committed with its audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway import metrics
from gateway.accounts.passwords import hash_password, verify_password
from gateway.clock import utcnow
from gateway.errors import NotFound, UsageError
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.web import ApiKey, ApiScope, StaffLoginFailure, StaffRole, StaffSession, StaffUser
from gateway.web.errors import AccountLocked, LoginRefused

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
KEY_PREFIX = "gwk_"


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
class ApiClient:
    """A machine client authenticated by an API key."""

    id: int
    name: str
    scope: ApiScope

    @property
    def actor(self) -> str:
        return f"apikey:{self.name}"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within how long lock a login (and, four times as many, an address)."""

    after_failures: int = 5
    seconds: int = 900

    @property
    def address_failures(self) -> int:
        """Failures from one address, whatever the logins, that stop it trying (password spraying)."""
        return 4 * self.after_failures


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_staff(sessions: sessionmaker[Session], login: str, role: str, password: str, *, actor: str = "cli") -> StaffView:
    """Creates a staff account (or resets the password and role of an existing one)."""
    if not LOGIN.match(login):
        raise UsageError("a staff login has 2 to 64 characters: lower-case letters, digits, '.', '_', '-'")
    try:
        role = StaffRole(role)
    except ValueError:
        raise UsageError(f"role must be one of {', '.join(StaffRole)}") from None
    password_hash = hash_password(password)
    with transaction(sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
        action = "staff.update" if user else "staff.add"
        if user is None:
            user = StaffUser(login=login, created_at=utcnow(), enabled=True)
            session.add(user)
        user.role, user.password_hash, user.enabled = role, password_hash, True
        audit.record(session, actor=actor, action=action, target_type="staff", target_id=login, role=str(role))
        session.flush()
        return StaffView(user.id, user.login, role)


def change_password(sessions: sessionmaker[Session], staff_id: int, current: str, new: str, *,
                    keep_token: str, address: str = "") -> None:
    """Changes one's own password after checking the current one; ends one's other sessions.

    Raises :class:`LoginRefused` when ``current`` is wrong (counted like a failed login, so the
    form cannot be used to guess passwords) and ``AccountError`` when ``new`` is too short.
    """
    new_hash = hash_password(new)
    with transaction(sessions) as session:
        user = session.get(StaffUser, staff_id)
        ok = verify_password(user.password_hash, current)
        if ok:
            user.password_hash = new_hash
            session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id,
                                                       StaffSession.token_hash != _digest(keep_token)))
        else:
            session.add(StaffLoginFailure(login=user.login, address=address, at=utcnow()))
        audit.record(session, actor=f"staff:{user.login}", action="staff.password", target_type="staff",
                     target_id=user.login, address=address, outcome="ok" if ok else "refused")
    if not ok:
        raise LoginRefused("the current password is wrong")


def list_staff(sessions: sessionmaker[Session]) -> list[StaffUser]:
    """Every staff account, by login."""
    with sessions() as session:
        return list(session.scalars(select(StaffUser).order_by(StaffUser.login)))


def set_staff_enabled(sessions: sessionmaker[Session], login: str, enabled: bool, *, actor: str) -> None:
    """Enables or disables a staff account; disabling ends its sessions."""
    with transaction(sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
        if user is None:
            raise NotFound(f"no staff account {login}", code="WEB-STAFF-NOT-FOUND")
        user.enabled = enabled
        if not enabled:
            session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
        audit.record(session, actor=actor, action="staff.enable" if enabled else "staff.disable",
                     target_type="staff", target_id=login)


def log_in(sessions: sessionmaker[Session], login: str, password: str, *, address: str,
           policy: LockoutPolicy, max_age: int, now: dt.datetime | None = None) -> tuple[str, StaffView]:
    """Checks a password and opens a session; returns (cookie token, staff member).

    Raises :class:`AccountLocked` when the login had ``policy.after_failures`` failures in
    the last ``policy.seconds`` (the password is then not even checked), else
    :class:`LoginRefused` for any wrong login or password, without saying which.
    """
    now = now or utcnow()
    login = login.strip().lower()[:64]
    since = now - dt.timedelta(seconds=policy.seconds)
    # Refusals are committed (failure row, audit event) before the error is raised.
    with transaction(sessions) as session:
        failures = session.scalar(select(func.count()).select_from(StaffLoginFailure).where(
            StaffLoginFailure.login == login, StaffLoginFailure.at > since)) or 0
        from_address = 0
        if address:
            from_address = session.scalar(select(func.count()).select_from(StaffLoginFailure).where(
                StaffLoginFailure.address == address, StaffLoginFailure.at > since)) or 0
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
        if failures >= policy.after_failures or from_address >= policy.address_failures:
            outcome = "locked"
        elif verify_password(user.password_hash if user else None, password) and user is not None and user.enabled:
            outcome = "ok"
        else:
            outcome = "refused"
            session.add(StaffLoginFailure(login=login, address=address, at=now))
            # Failures older than the window no longer count: keep the table small.
            session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.at <= since))
        if outcome != "ok":
            audit.record(session, actor=f"staff:{login}", action="staff.login", target_type="staff",
                         target_id=login, address=address, outcome=outcome)
    if outcome != "ok":
        metrics.WEB_LOGINS.labels(result=outcome).inc()
        if outcome == "locked":
            raise AccountLocked("too many failed logins: this account is locked for a while", login=login)
        raise LoginRefused("wrong login or password")
    view = open_session_for(sessions, user.id, address=address, max_age=max_age, now=now)
    metrics.WEB_LOGINS.labels(result="ok").inc()
    return view


def open_session_for(sessions: sessionmaker[Session], staff_id: int, *, address: str, max_age: int,
                     now: dt.datetime) -> tuple[str, StaffView]:
    """Opens a session for a staff member whose password was checked; returns (token, member)."""
    token = secrets.token_urlsafe(32)
    with transaction(sessions) as session:
        user = session.get(StaffUser, staff_id)
        user.last_login_at = now
        session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.login == user.login))
        session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        session.add(StaffSession(token_hash=_digest(token), staff_id=user.id, created_at=now,
                                 expires_at=now + dt.timedelta(seconds=max_age), address=address))
        audit.record(session, actor=f"staff:{user.login}", action="staff.login", target_type="staff",
                     target_id=user.login, address=address)
        view = StaffView(user.id, user.login, StaffRole(user.role))
    return token, view


def session_user(sessions: sessionmaker[Session], token: str, *, now: dt.datetime | None = None) -> StaffView | None:
    """The staff member of a live session token, or None."""
    if not token:
        return None
    now = now or utcnow()
    with sessions() as session:
        row = session.execute(
            select(StaffUser).join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(StaffSession.token_hash == _digest(token), StaffSession.expires_at > now,
                   StaffUser.enabled.is_(True))
        ).scalar_one_or_none()
        return StaffView(row.id, row.login, StaffRole(row.role)) if row else None


def log_out(sessions: sessionmaker[Session], token: str, *, actor: str, address: str) -> None:
    """Ends a session."""
    with transaction(sessions) as session:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
        audit.record(session, actor=actor, action="staff.logout", address=address)


# --------------------------------------------------------------------------- API keys


def create_api_key(sessions: sessionmaker[Session], name: str, scope: str, *, actor: str) -> str:
    """Creates a key and returns it; only its hash is kept, so it is shown this once."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UsageError("an API key name has 1 to 100 characters")
    try:
        scope = ApiScope(scope)
    except ValueError:
        raise UsageError(f"scope must be one of {', '.join(ApiScope)}") from None
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction(sessions) as session:
        if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
            raise UsageError(f"an API key named {name!r} exists already", code="WEB-APIKEY-EXISTS")
        session.add(ApiKey(name=name, scope=scope, prefix=key[:12], key_hash=_digest(key),
                           created_at=utcnow(), created_by=actor))
        audit.record(session, actor=actor, action="apikey.create", target_type="apikey", target_id=name,
                     scope=str(scope))
    return key


def revoke_api_key(sessions: sessionmaker[Session], name: str, *, actor: str) -> None:
    """Revokes a key by name; it stops working at once."""
    with transaction(sessions) as session:
        key = session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
        if key is None:
            raise NotFound(f"no active API key named {name!r}", code="WEB-APIKEY-NOT-FOUND")
        key.revoked_at = utcnow()
        audit.record(session, actor=actor, action="apikey.revoke", target_type="apikey", target_id=name)


def list_api_keys(sessions: sessionmaker[Session]) -> list[ApiKey]:
    """Every key (revoked ones too), newest first."""
    with sessions() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def api_client(sessions: sessionmaker[Session], key: str) -> ApiClient | None:
    """The client of an active key, or None; notes when the key was last used (to the minute)."""
    if not key.startswith(KEY_PREFIX):
        return None
    now = utcnow()
    with sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key), ApiKey.revoked_at.is_(None)))
        if row is None:
            return None
        client, last = ApiClient(row.id, row.name, ApiScope(row.scope)), row.last_used_at
    # One write a minute at most, so that reading a long feed does not write on every page.
    if last is None or now - last > dt.timedelta(minutes=1):
        with transaction(sessions) as session:
            session.execute(update(ApiKey).where(ApiKey.id == client.id).values(last_used_at=now))
    return client

"""Staff accounts and API keys: the one service behind the admin pages and ``gateway staff`` /
``gateway apikey``.

Plain functions over a session factory; each change is committed with its audit event.
Changes that alter what a member may do (disabling, a new role, a reset password or second
factor) end that member's sessions at once. Logging in is :mod:`gateway.web.login`;
sessions are :mod:`gateway.web.staff_sessions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.passwords import hash_password
from gateway.clock import utcnow
from gateway.errors import NotFound, UsageError
from gateway.staff_roles import ApiScope, StaffRole
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.web import ApiKey, StaffUser
from gateway.web import second_factor

# StaffView and session_user are re-exported: the routes import them from here
from gateway.web.staff_sessions import StaffView as StaffView
from gateway.web.staff_sessions import end_sessions
from gateway.web.staff_sessions import session_user as session_user

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
KEY_PREFIX = "gwk_"


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as the admin pages show it."""

    login: str
    role: StaffRole
    enabled: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    second_factor_since: dt.datetime | None
    recovery_codes_left: int


@dataclass(frozen=True)
class ApiClient:
    """A machine client authenticated by an API key."""

    id: int
    name: str
    scope: ApiScope

    @property
    def actor(self) -> str:
        return f"apikey:{self.name}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        raise UsageError(f"role must be one of {', '.join(StaffRole)}") from None


def _get(session: Session, login: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.login == login))
    if user is None:
        raise NotFound(f"no staff account {login}", code="WEB-STAFF-NOT-FOUND")
    return user


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    """Refuses a change that would leave no enabled admin (nobody could manage staff any more)."""
    others = (
        session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == StaffRole.ADMIN, StaffUser.enabled.is_(True), StaffUser.id != user.id)
        )
        or 0
    )
    if user.role == StaffRole.ADMIN and user.enabled and others == 0:
        raise UsageError(
            "this is the last enabled admin account: make another admin first", code="WEB-STAFF-LAST-ADMIN"
        )


def add_staff(
    sessions: sessionmaker[Session],
    login: str,
    role: str,
    password: str,
    *,
    actor: str = "cli",
    address: str = "",
    replace: bool = True,
) -> StaffView:
    """Creates a staff account; with ``replace`` (the CLI's way) an existing one gets the new
    password and role, is enabled again, and its sessions end."""
    if not LOGIN.match(login):
        raise UsageError("a staff login has 2 to 64 characters: lower-case letters, digits, '.', '_', '-'")
    role = _role(role)
    password_hash = hash_password(password)
    with transaction(sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
        if user is not None and not replace:
            raise UsageError(f"a staff account {login} exists already", code="WEB-STAFF-EXISTS")
        action = "staff.update" if user else "staff.add"
        if user is None:
            user = StaffUser(login=login, created_at=utcnow(), enabled=True)
            session.add(user)
        else:
            end_sessions(session, user.id)
        user.role, user.password_hash, user.enabled = role, password_hash, True
        audit.record(
            session, actor=actor, action=action, target_type="staff", target_id=login, role=str(role), address=address
        )
        session.flush()
        return StaffView(user.id, user.login, role)


def list_staff(sessions: sessionmaker[Session]) -> list[StaffUser]:
    """Every staff account, by login."""
    with sessions() as session:
        return list(session.scalars(select(StaffUser).order_by(StaffUser.login)))


def get_staff(sessions: sessionmaker[Session], login: str) -> StaffAccount:
    """One staff account with the state of its second factor."""
    with sessions() as session:
        user = _get(session, login)
        return StaffAccount(
            user.login,
            StaffRole(user.role),
            user.enabled,
            user.created_at,
            user.last_login_at,
            user.totp_enrolled_at,
            second_factor.recovery_codes_left(session, user.id),
        )


def set_staff_enabled(
    sessions: sessionmaker[Session],
    login: str,
    enabled: bool,
    *,
    actor: str,
    address: str = "",
    keep_an_admin: bool = True,
) -> None:
    """Enables or disables a staff account; disabling ends its sessions at once.

    The web never disables the last enabled admin; the command line may (``keep_an_admin``
    False: a compromised account is stopped first, a new admin is added after).
    """
    with transaction(sessions) as session:
        user = _get(session, login)
        if not enabled and keep_an_admin:
            _keep_an_admin(session, user)
            end_sessions(session, user.id)
        user.enabled = enabled
        audit.record(
            session,
            actor=actor,
            action="staff.enable" if enabled else "staff.disable",
            target_type="staff",
            target_id=login,
            address=address,
        )


def set_role(sessions: sessionmaker[Session], login: str, role: str, *, actor: str, address: str = "") -> None:
    """Changes a member's role; their sessions end, so the next login applies the new role's
    rules (an agent made admin must then give a second factor)."""
    role = _role(role)
    with transaction(sessions) as session:
        user = _get(session, login)
        if role != StaffRole.ADMIN:
            _keep_an_admin(session, user)
        previous, user.role = user.role, role
        end_sessions(session, user.id)
        audit.record(
            session,
            actor=actor,
            action="staff.role",
            target_type="staff",
            target_id=login,
            address=address,
            role=str(role),
            previous=previous,
        )


def reset_password(
    sessions: sessionmaker[Session], login: str, password: str, *, actor: str, address: str = ""
) -> None:
    """Sets a new password for a member (an admin's reset); every session of theirs ends."""
    password_hash = hash_password(password)
    with transaction(sessions) as session:
        user = _get(session, login)
        user.password_hash = password_hash
        end_sessions(session, user.id)
        audit.record(
            session, actor=actor, action="staff.password.reset", target_type="staff", target_id=login, address=address
        )


def reset_second_factor(sessions: sessionmaker[Session], login: str, *, actor: str, address: str = "") -> None:
    """Removes a member's second factor and recovery codes (a lost device); their sessions end.

    If their role requires a second factor they enrol again at their next login.
    """
    with transaction(sessions) as session:
        user = _get(session, login)
        second_factor.forget(session, user)
        end_sessions(session, user.id)
        audit.record(
            session,
            actor=actor,
            action="staff.second_factor.reset",
            target_type="staff",
            target_id=login,
            address=address,
        )


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
        session.add(
            ApiKey(
                name=name, scope=scope, prefix=key[:12], key_hash=_digest(key), created_at=utcnow(), created_by=actor
            )
        )
        audit.record(
            session, actor=actor, action="apikey.create", target_type="apikey", target_id=name, scope=str(scope)
        )
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

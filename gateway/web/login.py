"""Staff login in two steps, the second factor's enrolment, and checks of one's own password.

1. :func:`check_password` opens a *pending* session when the member must give a second
   factor (they are enrolled, or their role is in ``web.require_second_factor``), else a
   complete one.
2. :func:`check_second_factor` (a TOTP code or a recovery code) or, for a member who must
   enrol and has not, :func:`confirm_enrolment` replaces the pending session with a complete
   one under a new token.

Every failed check (password, current password, code) counts in one lockout
(:mod:`gateway.web.lockout`); while locked nothing is checked. Failures are forgotten only
when a complete session opens, so knowing the password does not reset the count of wrong codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import metrics
from gateway.accounts.passwords import hash_password, verify_password
from gateway.errors import UsageError
from gateway.staff_roles import StaffRole
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.web import FailureKind, StaffSession, StaffUser
from gateway.web import lockout, second_factor
from gateway.web.errors import AccountLocked, LoginRefused, SecondFactorRefused
from gateway.web.lockout import LockoutPolicy
from gateway.web.second_factor import SecretBox
from gateway.web.staff_sessions import StaffView, digest, end_sessions, open_session


@dataclass(frozen=True)
class LoginPolicy:
    """What a login needs: the lockout, session lifetime, roles that must use a second factor."""

    lockout: LockoutPolicy
    #: web.session_max_age, in seconds
    max_age: int
    #: web.require_second_factor
    second_factor_roles: Collection[str]
    #: issuer shown by authenticator apps next to the login
    issuer: str = "Gateway"


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as recorded on sessions, failures and audit events."""

    address: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class LoginStep:
    """The outcome of a successful check: the new cookie token, and whether a second factor is due."""

    token: str
    user: StaffView
    pending: bool


def _view(user: StaffUser) -> StaffView:
    return StaffView(user.id, user.login, StaffRole(user.role))


def must_use_second_factor(user: StaffUser, policy: LoginPolicy) -> bool:
    """Enrolled members always give their code; others when their role requires it."""
    return user.totp_enrolled_at is not None or user.role in policy.second_factor_roles


def _refuse(
    sessions: sessionmaker[Session],
    policy: LoginPolicy,
    *,
    login: str,
    client: Client,
    now: dt.datetime,
    kind: FailureKind | None,
    action: str,
) -> NoReturn:
    """Records a refusal (a failure row unless locked, an audit event), then raises."""
    with transaction(sessions) as session:
        if kind is not None:
            lockout.record_failure(session, policy.lockout, login=login, address=client.address, kind=kind, now=now)
        audit.record(
            session,
            actor=f"staff:{login}",
            action=action,
            target_type="staff",
            target_id=login,
            address=client.address,
            outcome="refused" if kind else "locked",
        )
    metrics.WEB_LOGINS.labels(result="refused" if kind else "locked").inc()
    if kind is None:
        raise AccountLocked("too many failed attempts: this account is locked for a while", login=login)
    if kind == FailureKind.SECOND_FACTOR:
        raise SecondFactorRefused("the code is wrong or was already used")
    raise LoginRefused("wrong login or password")


def check_password(
    sessions: sessionmaker[Session], login: str, password: str, *, client: Client, policy: LoginPolicy, now: dt.datetime
) -> LoginStep:
    """First step: the password. Raises :class:`AccountLocked` or :class:`LoginRefused` (never
    saying whether the login or the password was wrong)."""
    login = login.strip().lower()[:64]
    with sessions() as session:
        locked = lockout.is_locked(session, policy.lockout, login=login, address=client.address, now=now)
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
    if locked:
        _refuse(sessions, policy, login=login, client=client, now=now, kind=None, action="staff.login")
    # Always one argon2 verification, whether the login exists or not (no timing oracle).
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.enabled:
        _refuse(sessions, policy, login=login, client=client, now=now, kind=FailureKind.PASSWORD, action="staff.login")
    if must_use_second_factor(user, policy):
        with transaction(sessions) as session:
            token = open_session(
                session,
                user,
                pending=True,
                address=client.address,
                user_agent=client.user_agent,
                max_age=policy.max_age,
                now=now,
            )
            audit.record(
                session,
                actor=f"staff:{login}",
                action="staff.login.password",
                target_type="staff",
                target_id=login,
                address=client.address,
            )
        return LoginStep(token, _view(user), pending=True)
    return LoginStep(
        _complete(sessions, user.id, client=client, policy=policy, now=now, method="password"),
        _view(user),
        pending=False,
    )


def _complete(
    sessions: sessionmaker[Session],
    staff_id: int,
    *,
    client: Client,
    policy: LoginPolicy,
    now: dt.datetime,
    method: str,
    replaces: str = "",
) -> str:
    """Opens the complete session (a new token, never the pending one) and forgets the failures."""
    with transaction(sessions) as session:
        user = session.get_one(StaffUser, staff_id)
        if replaces:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == digest(replaces)))
        user.last_login_at = now
        lockout.clear(session, user.login)
        token = open_session(
            session,
            user,
            pending=False,
            address=client.address,
            user_agent=client.user_agent,
            max_age=policy.max_age,
            now=now,
        )
        audit.record(
            session,
            actor=f"staff:{user.login}",
            action="staff.login",
            target_type="staff",
            target_id=user.login,
            address=client.address,
            method=method,
        )
    metrics.WEB_LOGINS.labels(result="ok").inc()
    return token


def _pending_user(session: Session, token: str, now: dt.datetime) -> StaffUser:
    row = session.scalar(
        select(StaffUser)
        .join(StaffSession, StaffSession.staff_id == StaffUser.id)
        .where(
            StaffSession.token_hash == digest(token),
            StaffSession.pending.is_(True),
            StaffSession.expires_at > now,
            StaffUser.enabled.is_(True),
        )
    )
    if row is None:
        raise LoginRefused("the login has expired: please log in again")
    return row


def check_second_factor(
    sessions: sessionmaker[Session],
    box: SecretBox,
    token: str,
    code: str,
    *,
    recovery: bool,
    client: Client,
    policy: LoginPolicy,
    now: dt.datetime,
) -> LoginStep:
    """Second step: a TOTP code, or (``recovery``) one of the member's recovery codes."""
    with transaction(sessions) as session:
        user = _pending_user(session, token, now)
        staff_id, login = user.id, user.login
        if lockout.is_locked(session, policy.lockout, login=login, address=client.address, now=now):
            ok = None
        elif recovery:
            ok = user.totp_enrolled_at is not None and second_factor.use_recovery_code(session, staff_id, code, now)
        else:
            secret = box.open(user.totp_secret or "", staff_id) if user.totp_enrolled_at else None
            ok = secret is not None and second_factor.accept_totp(session, user, secret, code, now)
        view = _view(user)
    if not ok:
        _refuse(
            sessions,
            policy,
            login=login,
            client=client,
            now=now,
            kind=None if ok is None else FailureKind.SECOND_FACTOR,
            action="staff.login.second_factor",
        )
    return LoginStep(
        _complete(
            sessions,
            staff_id,
            client=client,
            policy=policy,
            now=now,
            method="recovery_code" if recovery else "totp",
            replaces=token,
        ),
        view,
        pending=False,
    )


# --------------------------------------------------------------------------- enrolment


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret (as QR code and as text) for an app to read."""

    login: str
    secret: str
    uri: str
    svg: str

    @property
    def grouped_secret(self) -> str:
        return second_factor.grouped(self.secret)


def _enrolling_user(session: Session, token: str, now: dt.datetime, *, pending: bool) -> StaffUser:
    if pending:
        return _pending_user(session, token, now)
    user = session.scalar(
        select(StaffUser)
        .join(StaffSession, StaffSession.staff_id == StaffUser.id)
        .where(StaffSession.token_hash == digest(token), StaffSession.pending.is_(False), StaffSession.expires_at > now)
    )
    if user is None:
        raise LoginRefused("the session has ended: please log in again")
    return user


def begin_enrolment(
    sessions: sessionmaker[Session],
    box: SecretBox,
    token: str,
    *,
    pending: bool,
    fresh: bool,
    policy: LoginPolicy,
    now: dt.datetime,
) -> Enrolment:
    """The secret to enrol for the member of session ``token``. With ``fresh`` (each new
    enrolment page) a new one replaces any earlier one, so a secret shown to an earlier page is
    never the one finally enrolled; without it (a wrong first code) the same one is shown again.
    Refused once enrolled."""
    with transaction(sessions) as session:
        user = _enrolling_user(session, token, now, pending=pending)
        if user.totp_enrolled_at is not None:
            raise UsageError("a second factor is already set up for this account", code="WEB-2FA-ENROLLED")
        secret = None if fresh else box.open(user.totp_secret or "", user.id)
        if secret is None:
            secret = second_factor.new_secret()
            user.totp_secret, user.totp_last_step = box.seal(secret, user.id), None
        login = user.login
    uri = second_factor.provisioning_uri(secret, login, policy.issuer)
    return Enrolment(login, secret, uri, second_factor.qr_svg(uri, f"{policy.issuer}: {login}"))


def confirm_enrolment(
    sessions: sessionmaker[Session],
    box: SecretBox,
    token: str,
    code: str,
    *,
    pending: bool,
    client: Client,
    policy: LoginPolicy,
    now: dt.datetime,
) -> tuple[LoginStep | None, list[str]]:
    """Enrols the secret last shown once a code from it is right; returns the recovery codes (shown
    once) and, when enrolling at login (``pending``), the complete session that replaces the pending one."""
    with transaction(sessions) as session:
        user = _enrolling_user(session, token, now, pending=pending)
        staff_id, login = user.id, user.login
        if lockout.is_locked(session, policy.lockout, login=login, address=client.address, now=now):
            ok = None
        else:
            secret = box.open(user.totp_secret or "", staff_id) if user.totp_enrolled_at is None else None
            ok = secret is not None and second_factor.accept_totp(session, user, secret, code, now)
        codes: list[str] = []
        if ok:
            user.totp_enrolled_at = now
            codes = second_factor.new_recovery_codes(session, staff_id, now)
            audit.record(
                session,
                actor=f"staff:{login}",
                action="staff.second_factor.enrol",
                target_type="staff",
                target_id=login,
                address=client.address,
            )
        view = _view(user)
    if not ok:
        _refuse(
            sessions,
            policy,
            login=login,
            client=client,
            now=now,
            kind=None if ok is None else FailureKind.SECOND_FACTOR,
            action="staff.second_factor.enrol",
        )
    if not pending:
        return None, codes
    new_token = _complete(
        sessions, staff_id, client=client, policy=policy, now=now, method="totp_enrolment", replaces=token
    )
    return LoginStep(new_token, view, pending=False), codes


def check_current_code(
    sessions: sessionmaker[Session],
    box: SecretBox,
    staff_id: int,
    code: str,
    *,
    client: Client,
    policy: LoginPolicy,
    now: dt.datetime,
) -> None:
    """Checks a code of an enrolled member before a change to their second factor (lockout applies)."""
    with transaction(sessions) as session:
        user = session.get_one(StaffUser, staff_id)
        login = user.login
        if lockout.is_locked(session, policy.lockout, login=login, address=client.address, now=now):
            ok = None
        else:
            secret = box.open(user.totp_secret or "", staff_id) if user.totp_enrolled_at else None
            ok = secret is not None and second_factor.accept_totp(session, user, secret, code, now)
    if not ok:
        _refuse(
            sessions,
            policy,
            login=login,
            client=client,
            now=now,
            kind=None if ok is None else FailureKind.SECOND_FACTOR,
            action="staff.second_factor.check",
        )


def new_recovery_codes(
    sessions: sessionmaker[Session], staff_id: int, *, actor: str, address: str, now: dt.datetime
) -> list[str]:
    """Replaces a member's recovery codes (after :func:`check_current_code`); returns them, shown once."""
    with transaction(sessions) as session:
        login = session.get_one(StaffUser, staff_id).login
        codes = second_factor.new_recovery_codes(session, staff_id, now)
        audit.record(
            session,
            actor=actor,
            action="staff.second_factor.recovery_codes",
            target_type="staff",
            target_id=login,
            address=address,
        )
    return codes


# --------------------------------------------------------------------------- one's own password


def change_password(
    sessions: sessionmaker[Session],
    staff_id: int,
    current: str,
    new: str,
    *,
    keep_token: str,
    client: Client,
    policy: LoginPolicy,
    now: dt.datetime,
) -> None:
    """Changes one's own password after checking the current one; ends one's other sessions.

    The check is under the login's lockout: a wrong current password counts as a failure, and
    while locked even the right one is refused (:class:`AccountLocked`), so this form cannot be
    used to guess passwords. Raises ``AccountError`` when ``new`` is too short.
    """
    new_hash = hash_password(new)
    with sessions() as session:
        user = session.get_one(StaffUser, staff_id)
        login, current_hash = user.login, user.password_hash
        locked = lockout.is_locked(session, policy.lockout, login=login, address=client.address, now=now)
    if locked:
        _refuse(sessions, policy, login=login, client=client, now=now, kind=None, action="staff.password")
    if not verify_password(current_hash, current):
        _refuse(
            sessions,
            policy,
            login=login,
            client=client,
            now=now,
            kind=FailureKind.PASSWORD_CHANGE,
            action="staff.password",
        )
    with transaction(sessions) as session:
        session.get_one(StaffUser, staff_id).password_hash = new_hash
        end_sessions(session, staff_id, keep_token=keep_token)
        audit.record(
            session,
            actor=f"staff:{login}",
            action="staff.password",
            target_type="staff",
            target_id=login,
            address=client.address,
            outcome="ok",
        )

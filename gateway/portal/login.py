"""Provider login to the portal: the SFTP account's password, then a TOTP code; portal sessions.

1. :func:`check_password`: the provider code and the account's password (the one SFTP
   checks), refused as SFTP refuses it: unknown code, wrong password, disabled account, or an
   address outside the account's networks (the message never says which). It opens a
   *pending* session: every provider gives a second factor.
2. :func:`check_code` (enrolled) or :func:`confirm_enrolment` (first login: the secret of
   :func:`begin_enrolment`, shown as a QR code) replaces it with a complete session.

Failures count in the staff web's lockout (:mod:`gateway.web.lockout`) under the login
``portal:<code>``; codes go through :mod:`gateway.web.second_factor` with the provider scope
of the secret box. Sessions are server-side records like the staff ones: the cookie holds a
random token, the table its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway import metrics
from gateway.accounts.passwords import verify_password
from gateway.errors import UsageError
from gateway.portal.applicant import applicant_email
from gateway.sftp.auth import network_allows
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.accounts import Provider
from gateway.store.models.portal import PortalAccount, PortalSession
from gateway.store.models.web import FailureKind
from gateway.web import lockout, second_factor
from gateway.web.errors import AccountLocked, LoginRefused, SecondFactorRefused
from gateway.web.lockout import LockoutPolicy
from gateway.web.login import Client
from gateway.web.second_factor import SecretBox
from gateway.web.staff_sessions import PENDING_SECONDS, TOUCH_SECONDS, USER_AGENT_CHARS, digest, new_ref

__all__ = [
    "Client",
    "PortalPolicy",
    "ProviderView",
    "check_password",
    "check_code",
    "begin_enrolment",
    "confirm_enrolment",
    "resolve",
    "log_out",
    "account_row",
]


@dataclass(frozen=True)
class PortalPolicy:
    """The lockout, the session lifetime, and the issuer name authenticator apps show."""

    lockout: LockoutPolicy
    max_age: int = 3600
    issuer: str = "Gateway"


@dataclass(frozen=True)
class ProviderView:
    """A logged-in provider as the pages see it."""

    code: str
    name: str
    profession: str
    enrolled: bool
    pending: bool

    @property
    def actor(self) -> str:
        """How the audit trail names the provider (as over SFTP)."""
        return f"provider:{self.code}"


def lockout_login(code: str) -> str:
    """The provider's name in the shared lockout table (never a staff login: those have no colon)."""
    return f"portal:{code}"


def _plausible(code: str) -> bool:
    return len(code) == 8 and code.isascii() and code.isdigit()


def account_row(session: Session, code: str) -> PortalAccount:
    """The portal account of ``code``, created on first use (caller's transaction)."""
    row = session.get(PortalAccount, code)
    if row is None:
        # An OCB applicant's account starts with the address its application gave.
        row = PortalAccount(
            provider_code=code, contact_email=applicant_email(session, code), notify_response=False, notify_digest=False
        )
        session.add(row)
        session.flush()
    return row


def _refuse(
    sessions: sessionmaker[Session],
    policy: PortalPolicy,
    *,
    code: str,
    client: Client,
    now: dt.datetime,
    kind: FailureKind | None,
    action: str,
) -> None:
    with transaction(sessions) as session:
        if kind is not None:
            lockout.record_failure(
                session, policy.lockout, login=lockout_login(code), address=client.address, kind=kind, now=now
            )
        audit.record(
            session,
            actor=f"provider:{code}",
            action=action,
            target_type="provider",
            target_id=code,
            address=client.address,
            outcome="refused" if kind else "locked",
        )
    metrics.WEB_LOGINS.labels(result="refused" if kind else "locked").inc()
    if kind is None:
        raise AccountLocked("too many failed attempts: this account is locked for a while", login=code)
    if kind == FailureKind.SECOND_FACTOR:
        raise SecondFactorRefused("the code is wrong or was already used")
    raise LoginRefused("wrong provider code or password")


def _open(session: Session, code: str, *, pending: bool, client: Client, max_age: int, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.execute(delete(PortalSession).where(PortalSession.expires_at < now))
    lifetime = PENDING_SECONDS if pending else max_age
    session.add(
        PortalSession(
            token_hash=digest(token),
            ref=new_ref(),
            provider_code=code,
            pending=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(seconds=lifetime),
            address=client.address[:64],
            user_agent=client.user_agent[:USER_AGENT_CHARS],
        )
    )
    return token


def check_password(
    sessions: sessionmaker[Session], code: str, password: str, *, client: Client, policy: PortalPolicy, now: dt.datetime
) -> str:
    """First step; returns the token of a pending session. Raises AccountLocked or LoginRefused."""
    code = code.strip()[:8]
    with sessions() as session:
        locked = lockout.is_locked(session, policy.lockout, login=lockout_login(code), address=client.address, now=now)
        provider = session.get(Provider, code) if _plausible(code) else None
    if locked:
        _refuse(sessions, policy, code=code, client=client, now=now, kind=None, action="portal.login")
    # Always one argon2 verification, whatever the code (no timing oracle), then SFTP's own refusals.
    matched = verify_password(provider.password_hash if provider else None, password)
    if (
        not matched
        or provider is None
        or not provider.enabled
        or not network_allows(provider.allowed_networks, client.address)
    ):
        _refuse(sessions, policy, code=code, client=client, now=now, kind=FailureKind.PASSWORD, action="portal.login")
    with transaction(sessions) as session:
        account_row(session, code)
        token = _open(session, code, pending=True, client=client, max_age=policy.max_age, now=now)
        audit.record(
            session,
            actor=f"provider:{code}",
            action="portal.login.password",
            target_type="provider",
            target_id=code,
            address=client.address,
        )
    return token


def _pending(session: Session, token: str, now: dt.datetime) -> tuple[PortalAccount, Provider]:
    row = session.execute(
        select(PortalAccount, Provider)
        .join(PortalSession, PortalSession.provider_code == PortalAccount.provider_code)
        .join(Provider, Provider.code == PortalAccount.provider_code)
        .where(
            PortalSession.token_hash == digest(token),
            PortalSession.pending.is_(True),
            PortalSession.expires_at > now,
            Provider.enabled.is_(True),
        )
    ).one_or_none()
    if row is None:
        raise LoginRefused("the login has expired: please log in again")
    return row[0], row[1]


def _complete(
    sessions: sessionmaker[Session],
    code: str,
    *,
    replaces: str,
    client: Client,
    policy: PortalPolicy,
    now: dt.datetime,
    method: str,
) -> str:
    with transaction(sessions) as session:
        session.execute(delete(PortalSession).where(PortalSession.token_hash == digest(replaces)))
        account_row(session, code).last_login_at = now
        lockout.clear(session, lockout_login(code))
        token = _open(session, code, pending=False, client=client, max_age=policy.max_age, now=now)
        audit.record(
            session,
            actor=f"provider:{code}",
            action="portal.login",
            target_type="provider",
            target_id=code,
            address=client.address,
            method=method,
        )
    metrics.WEB_LOGINS.labels(result="ok").inc()
    return token


def _code_accepted(
    session: Session,
    box: SecretBox,
    account: PortalAccount,
    code: str,
    *,
    enrolled: bool,
    client: Client,
    policy: PortalPolicy,
    now: dt.datetime,
) -> bool | None:
    """Whether ``code`` is right for the account's secret (the enrolled one, or the one being
    enrolled); None when the login is locked, so nothing was checked."""
    if lockout.is_locked(
        session, policy.lockout, login=lockout_login(account.provider_code), address=client.address, now=now
    ):
        return None
    has_secret = (account.totp_enrolled_at is not None) == enrolled
    secret = box.open(account.totp_secret or "", account.provider_code) if has_secret else None
    return secret is not None and second_factor.accept_totp(session, account, secret, code, now)


def check_code(
    sessions: sessionmaker[Session],
    box: SecretBox,
    token: str,
    code: str,
    *,
    client: Client,
    policy: PortalPolicy,
    now: dt.datetime,
) -> str:
    """Second step of an enrolled provider: a TOTP code; returns the complete session's token."""
    with transaction(sessions) as session:
        account, _provider = _pending(session, token, now)
        provider_code = account.provider_code
        ok = _code_accepted(session, box, account, code, enrolled=True, client=client, policy=policy, now=now)
    if not ok:
        _refuse(
            sessions,
            policy,
            code=provider_code,
            client=client,
            now=now,
            kind=None if ok is None else FailureKind.SECOND_FACTOR,
            action="portal.login.second_factor",
        )
    return _complete(sessions, provider_code, replaces=token, client=client, policy=policy, now=now, method="totp")


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows (same fields as the staff one, so the page is shared)."""

    login: str
    secret: str
    uri: str
    svg: str

    @property
    def grouped_secret(self) -> str:
        return second_factor.grouped(self.secret)


def begin_enrolment(
    sessions: sessionmaker[Session], box: SecretBox, token: str, *, fresh: bool, policy: PortalPolicy, now: dt.datetime
) -> Enrolment:
    """The secret to enrol at first login (a new one on each fresh page; the same after a wrong code)."""
    with transaction(sessions) as session:
        account, _provider = _pending(session, token, now)
        if account.totp_enrolled_at is not None:
            raise UsageError("a second factor is already set up for this account", code="WEB-2FA-ENROLLED")
        code = account.provider_code
        secret = None if fresh else box.open(account.totp_secret or "", code)
        if secret is None:
            secret = second_factor.new_secret()
            account.totp_secret, account.totp_last_step = box.seal(secret, code), None
    uri = second_factor.provisioning_uri(secret, code, policy.issuer)
    return Enrolment(code, secret, uri, second_factor.qr_svg(uri, f"{policy.issuer}: {code}"))


def confirm_enrolment(
    sessions: sessionmaker[Session],
    box: SecretBox,
    token: str,
    code: str,
    *,
    client: Client,
    policy: PortalPolicy,
    now: dt.datetime,
) -> str:
    """Enrols the secret last shown once a code from it is right; returns the complete session's token."""
    with transaction(sessions) as session:
        account, _provider = _pending(session, token, now)
        provider_code = account.provider_code
        ok = _code_accepted(session, box, account, code, enrolled=False, client=client, policy=policy, now=now)
        if ok:
            account.totp_enrolled_at = now
            audit.record(
                session,
                actor=f"provider:{provider_code}",
                action="portal.second_factor.enrol",
                target_type="provider",
                target_id=provider_code,
                address=client.address,
            )
    if not ok:
        _refuse(
            sessions,
            policy,
            code=provider_code,
            client=client,
            now=now,
            kind=None if ok is None else FailureKind.SECOND_FACTOR,
            action="portal.second_factor.enrol",
        )
    return _complete(
        sessions, provider_code, replaces=token, client=client, policy=policy, now=now, method="totp_enrolment"
    )


def resolve(sessions: sessionmaker[Session], token: str, *, address: str, now: dt.datetime) -> ProviderView | None:
    """The provider of a live session token (pending or not), or None.

    The account is checked on every request as SFTP checks it at login: disabled, or the
    address now outside its networks, and the session no longer opens anything.
    """
    if not token:
        return None
    with sessions() as session:
        row = session.execute(
            select(PortalSession.ref, PortalSession.pending, PortalSession.last_seen_at, Provider, PortalAccount)
            .join(Provider, Provider.code == PortalSession.provider_code)
            .join(PortalAccount, PortalAccount.provider_code == PortalSession.provider_code)
            .where(
                PortalSession.token_hash == digest(token), PortalSession.expires_at > now, Provider.enabled.is_(True)
            )
        ).one_or_none()
        if row is None:
            return None
        ref, pending, last_seen, provider, account = row
        if not network_allows(provider.allowed_networks, address):
            return None
        view = ProviderView(
            provider.code, provider.name, provider.profession, account.totp_enrolled_at is not None, pending
        )
    if now - last_seen > dt.timedelta(seconds=TOUCH_SECONDS):
        with transaction(sessions) as session:
            session.execute(update(PortalSession).where(PortalSession.ref == ref).values(last_seen_at=now))
    return view


def log_out(sessions: sessionmaker[Session], token: str, *, actor: str, address: str) -> None:
    """Ends the session of a token."""
    with transaction(sessions) as session:
        session.execute(delete(PortalSession).where(PortalSession.token_hash == digest(token)))
        audit.record(session, actor=actor, action="portal.logout", address=address)


def end_sessions(session: Session, code: str) -> None:
    """Ends every portal session of a provider (caller's transaction)."""
    session.execute(delete(PortalSession).where(PortalSession.provider_code == code))

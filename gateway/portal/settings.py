"""What a provider changes in the portal: SSH keys, notification choices; and the one-time
password link staff send to key-only accounts.

Keys go through :class:`gateway.accounts.service.Accounts` (the command line's own checks:
ed25519, ECDSA, RSA of 3072 bits or more; the audit event; the account mirror), in the
provider's name. Every change is audited and told by e-mail to the account's contact address
(set by staff, never by the provider: someone who got in cannot silence the warnings).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import texts
from gateway.accounts.service import Accounts, KeyView
from gateway.errors import UsageError
from gateway.intake.notify import Notifier, OutgoingMessage
from gateway.logs import get_logger
from gateway.portal.login import account_row, end_sessions
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.accounts import Provider
from gateway.store.models.portal import PortalAccount
from gateway.web.errors import WebError

log = get_logger(__name__)
#: the shortest password a provider may choose through a link (as for staff)
MIN_PASSWORD = 12


class LinkInvalid(WebError):
    """A password link that is unknown, used already or expired."""

    code = "WEB-PORTAL-LINK"
    http_status = 404


@dataclass(frozen=True)
class SettingsView:
    """The account page's values."""

    code: str
    keys: tuple[KeyView, ...]
    contact_email: str
    notify_response: bool
    notify_digest: bool
    has_password: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bilingual_subject(msgid: str, /, **values: object) -> str:
    """A subject in both languages (``Réponse prête / Response ready``), as the fund's mails are."""
    return " / ".join(texts.both(msgid, **values))


class ProviderSettings:
    """Reads and changes one provider's portal settings; tells each change by e-mail."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        accounts: Callable[[str], Accounts],
        notifier: Notifier | None,
        *,
        clock: Callable[[], dt.datetime],
    ) -> None:
        """``accounts(actor)`` gives the account service acting in ``actor``'s name."""
        self._sessions = sessions
        self._accounts = accounts
        self._notifier = notifier
        self._now = clock

    @property
    def notifier(self) -> Notifier | None:
        """The sender of messages to providers' contact addresses."""
        return self._notifier

    def view(self, code: str) -> SettingsView:
        account = self._accounts("portal").get(code)
        with self._sessions() as session:
            row = session.get(PortalAccount, code)
            contact, response, digest = (
                (row.contact_email, row.notify_response, row.notify_digest) if row else ("", False, False)
            )
        return SettingsView(code, account.keys, contact, response, digest, account.has_password)

    def add_key(self, code: str, key_text: str, *, address: str) -> KeyView:
        """Adds a key (refused as by ``gateway accounts add-key``); returns it."""
        if len(key_text) > 16384:
            raise UsageError("this is not a public key (too long)")
        before = {k.fingerprint for k in self._accounts("portal").get(code).keys}
        after = self._accounts(f"provider:{code}").add_key(code, key_text.strip())
        added = next(k for k in after.keys if k.fingerprint not in before)
        self._tell(code, "key.add", f"{added.algorithm} {added.bits} {added.fingerprint}", address=address)
        return added

    def remove_key(self, code: str, fingerprint: str, *, address: str) -> None:
        self._accounts(f"provider:{code}").remove_key(code, fingerprint)
        self._tell(code, "key.remove", fingerprint, address=address)

    def set_notifications(self, code: str, *, response: bool, digest: bool, address: str) -> None:
        """The provider's choices; turning on "response ready" starts from now (no flood of old ones)."""
        with transaction(self._sessions) as session:
            row = account_row(session, code)
            if response and not row.notify_response:
                row.notified_until = self._now()
            row.notify_response, row.notify_digest = response, digest
            audit.record(
                session,
                actor=f"provider:{code}",
                action="portal.notifications",
                target_type="provider",
                target_id=code,
                address=address,
                response_ready=response,
                daily_digest=digest,
            )
        detail = f"response={'on' if response else 'off'}, digest={'on' if digest else 'off'}"
        self._tell(code, "notifications", detail, address=address)

    # ----------------------------------------------------------------- staff

    def set_contact(self, code: str, email: str, *, actor: str) -> None:
        """Staff set the address notifications go to (empty: none)."""
        email = email.strip()
        if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
            raise UsageError(f"{email!r} is not an e-mail address")
        self._accounts(actor).get(code)  # NotFound for an unknown account
        with transaction(self._sessions) as session:
            account_row(session, code).contact_email = email
            audit.record(
                session, actor=actor, action="portal.contact", target_type="provider", target_id=code, email=email
            )

    def issue_password_link(self, code: str, *, actor: str, hours: int) -> str:
        """A one-time token setting the account's password (for key-only accounts); replaces any earlier one."""
        self._accounts(actor).get(code)
        token = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            row = account_row(session, code)
            row.password_link_hash = _digest(token)
            row.password_link_expires_at = self._now() + dt.timedelta(hours=hours)
            audit.record(
                session, actor=actor, action="portal.password_link", target_type="provider", target_id=code, hours=hours
            )
        return token

    def reset_second_factor(self, code: str, *, actor: str) -> None:
        """Removes the portal second factor of an account (lost phone) and ends its portal sessions."""
        self._accounts(actor).get(code)
        with transaction(self._sessions) as session:
            row = account_row(session, code)
            row.totp_secret, row.totp_enrolled_at, row.totp_last_step = None, None, None
            end_sessions(session, code)
            audit.record(
                session, actor=actor, action="portal.second_factor.reset", target_type="provider", target_id=code
            )

    def send_password_link(self, code: str, *, actor: str, hours: int, portal_url: str) -> tuple[str, bool]:
        """Issues a password link and mails it to the contact address; returns the link (for staff to
        give by other means when there is no address) and whether it was mailed."""
        link = f"{portal_url.rstrip('/')}/password/{self.issue_password_link(code, actor=actor, hours=hours)}"
        contact = self.view(code).contact_email
        if not contact or self._notifier is None:
            return link, False
        body_fr, body_en = texts.both("portal.mail.password_link.body", code=code, hours=hours, link=link)
        mailed = self._notifier.deliver(
            OutgoingMessage(
                to=contact,
                reference=code,
                topic=bilingual_subject("portal.mail.password_link.subject"),
                body_fr=body_fr,
                body_en=body_en,
            )
        )
        return link, mailed

    def link_owner(self, token: str) -> str:
        """The provider code of a valid link, or raises :class:`LinkInvalid`."""
        with self._sessions() as session:
            row = session.scalar(select(PortalAccount).where(PortalAccount.password_link_hash == _digest(token)))
            if row is None or row.password_link_expires_at is None or row.password_link_expires_at <= self._now():
                raise LinkInvalid("this link is unknown, used already or expired: ask the fund for a new one")
            return row.provider_code

    def set_password_with_link(self, token: str, password: str, *, address: str) -> str:
        """Sets the password of the link's account and uses the link up; returns the provider code."""
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password needs at least {MIN_PASSWORD} characters", code="WEB-PORTAL-PASSWORD")
        code = self.link_owner(token)
        with transaction(self._sessions) as session:
            row = session.get(PortalAccount, code)
            if row is None or row.password_link_hash != _digest(token):  # used meanwhile
                raise LinkInvalid("this link was used already: ask the fund for a new one")
            row.password_link_hash, row.password_link_expires_at = None, None
            end_sessions(session, code)
        self._accounts(f"provider:{code}").set_password(code, password)
        self._tell(code, "password", "", address=address)
        return code

    # ----------------------------------------------------------------- mail

    def _tell(self, code: str, change: str, detail: str, *, address: str) -> None:
        """E-mails the contact address about a change (logged, never raised, when it cannot);
        ``change`` names its sentence, ``portal.change.<change>`` in the catalogue."""
        with self._sessions() as session:
            row = session.get(PortalAccount, code)
            name = session.scalar(select(Provider.name).where(Provider.code == code)) or code
        to = row.contact_email if row else ""
        if not to or self._notifier is None:
            return
        when = self._now().strftime("%Y-%m-%d %H:%M UTC")
        body_fr, body_en = (
            texts.text(
                lang,
                "portal.mail.change.body",
                code=code,
                name=name,
                when=when,
                address=address,
                change=texts.text(lang, f"portal.change.{change}", detail=detail),
            )
            for lang in ("fr", "en")
        )
        topic = bilingual_subject("portal.mail.change.subject")
        self._notifier.deliver(OutgoingMessage(to=to, topic=topic, body_fr=body_fr, body_en=body_en, reference=code))

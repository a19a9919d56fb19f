"""Messages to applicants, in French and English, by SMTP or as ``.eml`` files.

Their texts are the ``notify.*`` messages of :mod:`gateway.texts`.

:class:`Mailer` is the boundary: :class:`SmtpMailer` when ``mail.smtp_host`` is set,
:class:`FolderMailer` otherwise (the operator's mail system, or a person, picks the files up
from ``outgoing_mail_path``). The ``*_message`` functions build the texts; each message
carries a fresh follow-up link when one is given.
"""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
import ssl
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from gateway import texts
from gateway.intake.replytoken import ReplyAddress, subject_tag
from gateway.logs import get_logger
from gateway.store.files import atomic_write

log = get_logger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to an applicant, before it is addressed from the fund's sender."""

    to: str
    #: what the message is about; the subject is this after the reference and reply token
    topic: str
    body_fr: str
    body_en: str
    reference: str
    #: the application's reply token (set by the intake service when it sends the message)
    reply_token: str = ""

    @property
    def subject(self) -> str:
        """``[DEM-2026-000417 #<token>] <topic>`` (``DEM-2026-000417 : <topic>`` without a token)."""
        if self.reply_token:
            return f"{subject_tag(self.reference, self.reply_token)} {self.topic}"
        return f"{self.reference} : {self.topic}"

    def to_email(self, sender: str, now: dt.datetime, reply_address: ReplyAddress | None = None) -> EmailMessage:
        """The message as an RFC 5322 e-mail (plain text, French first, then English)."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        if reply_address is not None and self.reply_token:
            message["Reply-To"] = reply_address.for_token(self.reply_token)
        message["Subject"] = self.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message["X-Gateway-Reference"] = self.reference
        message.set_content(f"{self.body_fr}\n\n---- English ----\n\n{self.body_en}\n")
        return message


class Mailer(Protocol):
    """Sends one e-mail; raises OSError (or smtplib.SMTPException) when it cannot."""

    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through an SMTP server (STARTTLS and login when configured)."""

    def __init__(
        self, host: str, port: int, *, starttls: bool = True, user: str = "", password: str = "", timeout: float = 30.0
    ) -> None:
        self._host, self._port = host, port
        self._starttls, self._user, self._password = starttls, user, password
        self._timeout = timeout

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._user:
                smtp.login(self._user, self._password)
            smtp.send_message(message)


class FolderMailer:
    """Writes each message as ``<UTC time to the microsecond>-<random>.eml`` into a folder (atomically);
    names sort in the order messages were written."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
        atomic_write(self.folder / f"{stamp}-{secrets.token_hex(6)}.eml", bytes(message), overwrite=False)


def _link_lines(link: str | None) -> tuple[str, str]:
    if not link:
        return "", ""
    fr, en = texts.both("notify.link", link=link)
    return f"\n\n{fr}", f"\n\n{en}"


def _message(kind: str, to: str, reference: str, link: str | None, **values: str) -> OutgoingMessage:
    """The message ``notify.<kind>.*``: topic in both languages, then each body with its link."""
    topic_fr, topic_en = texts.both(f"notify.{kind}.topic", reference=reference, **values)
    body_fr, body_en = texts.both(f"notify.{kind}.body", reference=reference, **values)
    fr_link, en_link = _link_lines(link)
    return OutgoingMessage(
        to=to,
        reference=reference,
        topic=f"{topic_fr} / {topic_en}",
        body_fr=body_fr + fr_link,
        body_en=body_en + en_link,
    )


def acknowledgement_message(to: str, reference: str, link: str | None) -> OutgoingMessage:
    """Sent when an application is opened (web, mail or paper)."""
    return _message("acknowledgement", to, reference, link)


def correction_message(to: str, reference: str, message: str, link: str | None) -> OutgoingMessage:
    """Sent when staff ask for corrections; ``message`` is staff's text, quoted as written."""
    return _message("correction", to, reference, link, message=message)


def refusal_message(to: str, reference: str, reason: str, link: str | None) -> OutgoingMessage:
    """Sent when staff refuse the application."""
    return _message("refusal", to, reference, link, reason=reason)


def approval_message(to: str, reference: str, code: str, link: str | None) -> OutgoingMessage:
    """Sent on approval; carries the allocated provider code."""
    return _message("approval", to, reference, link, code=code)


def withdrawal_message(to: str, reference: str, reason: str) -> OutgoingMessage:
    """Sent when an application is withdrawn (by the applicant or staff on their request)."""
    message = _message("withdrawal", to, reference, None)
    if not reason:
        return message
    why_fr, why_en = texts.both("notify.withdrawal.reason", reason=reason)
    return replace(message, body_fr=f"{message.body_fr}\n\n{why_fr}", body_en=f"{message.body_en}\n\n{why_en}")


class Notifier:
    """Addresses and sends messages to applicants; a failure is logged, never raised.

    A decision is already committed when its message goes out: a mail server that is down
    must not undo it. Failed messages are logged (and returned as False) for staff to resend.
    """

    def __init__(self, mailer: Mailer, sender: str, *, reply_address: str = "") -> None:
        """``reply_address`` is the fund's mailbox applicants reply to (``mail.reply_address``);
        empty, replies carry the token in their subject only."""
        self.mailer = mailer
        self.sender = sender
        self.reply_address = ReplyAddress.parse(reply_address)

    def deliver(self, message: OutgoingMessage) -> bool:
        """Sends ``message``; returns False (and logs) when it could not be sent."""
        if not message.to or "@" not in message.to:
            return False
        try:
            self.mailer.send(message.to_email(self.sender, dt.datetime.now(dt.UTC), self.reply_address))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("message to applicant not sent", reference=message.reference, error=str(exc))
            return False
        return True

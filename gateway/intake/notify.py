"""Messages to applicants, in French and English, by SMTP or as ``.eml`` files.

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
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

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

    def __init__(self, host: str, port: int, *, starttls: bool = True, user: str = "", password: str = "",
                 timeout: float = 30.0) -> None:
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
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
        atomic_write(self.folder / f"{stamp}-{secrets.token_hex(6)}.eml", bytes(message), overwrite=False)


def _link_lines(link: str | None) -> tuple[str, str]:
    if not link:
        return "", ""
    return (f"\n\nSuivi de votre demande : {link}",
            f"\n\nFollow your application: {link}")


def acknowledgement_message(to: str, reference: str, link: str | None) -> OutgoingMessage:
    """Sent when an application is opened (web, mail or paper)."""
    fr_link, en_link = _link_lines(link)
    return OutgoingMessage(
        to=to, reference=reference,
        topic="demande de code prestataire reçue / application received",
        body_fr=(f"Bonjour,\n\nNous avons bien reçu votre demande de code prestataire, référence {reference}. "
                 "Pour envoyer des documents par e-mail, répondez à ce message en gardant son objet tel quel : "
                 "un message sans la marque [DEM-… #…] de l'objet n'est pas joint à votre demande." + fr_link),
        body_en=(f"Hello,\n\nWe have received your application for a provider code, reference {reference}. "
                 "To send documents by e-mail, reply to this message and keep its subject as it is: a "
                 "message without the [DEM-… #…] mark of the subject is not added to your application." + en_link),
    )


def correction_message(to: str, reference: str, message: str, link: str | None) -> OutgoingMessage:
    """Sent when staff ask for corrections; ``message`` is staff's text, quoted as written."""
    fr_link, en_link = _link_lines(link)
    return OutgoingMessage(
        to=to, reference=reference,
        topic="corrections demandées / corrections requested",
        body_fr=(f"Bonjour,\n\nVotre demande {reference} doit être complétée ou corrigée :\n\n{message}\n\n"
                 "Utilisez le lien de suivi pour corriger vos données et envoyer les documents, puis "
                 "transmettez à nouveau la demande." + fr_link),
        body_en=(f"Hello,\n\nYour application {reference} must be completed or corrected:\n\n{message}\n\n"
                 "Use the follow-up link to correct your data and upload the documents, then submit the "
                 "application again." + en_link),
    )


def refusal_message(to: str, reference: str, reason: str, link: str | None) -> OutgoingMessage:
    """Sent when staff refuse the application."""
    fr_link, en_link = _link_lines(link)
    return OutgoingMessage(
        to=to, reference=reference,
        topic="demande refusée / application refused",
        body_fr=f"Bonjour,\n\nVotre demande {reference} a été refusée pour la raison suivante :\n\n{reason}" + fr_link,
        body_en=f"Hello,\n\nYour application {reference} was refused for the following reason:\n\n{reason}" + en_link,
    )


def approval_message(to: str, reference: str, code: str, link: str | None) -> OutgoingMessage:
    """Sent on approval; carries the allocated provider code."""
    fr_link, en_link = _link_lines(link)
    return OutgoingMessage(
        to=to, reference=reference,
        topic=f"code prestataire attribué {code} / provider code allocated",
        body_fr=(f"Bonjour,\n\nVotre demande {reference} est acceptée. Votre code prestataire est : {code}\n\n"
                 "Ce code figure désormais sur chaque document que vous émettez. Pour les échanges "
                 "électroniques, un accès SFTP peut vous être ouvert sur demande." + fr_link),
        body_en=(f"Hello,\n\nYour application {reference} is approved. Your provider code is: {code}\n\n"
                 "This code must appear on every document you issue. For electronic exchange, an SFTP "
                 "account can be opened for you on request." + en_link),
    )


def withdrawal_message(to: str, reference: str, reason: str) -> OutgoingMessage:
    """Sent when an application is withdrawn (by the applicant or staff on their request)."""
    why_fr = f"\n\nMotif : {reason}" if reason else ""
    why_en = f"\n\nReason: {reason}" if reason else ""
    return OutgoingMessage(
        to=to, reference=reference,
        topic="demande retirée / application withdrawn",
        body_fr=f"Bonjour,\n\nVotre demande {reference} a été retirée." + why_fr,
        body_en=f"Hello,\n\nYour application {reference} has been withdrawn." + why_en,
    )


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
            self.mailer.send(message.to_email(self.sender, dt.datetime.now(dt.timezone.utc), self.reply_address))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("message to applicant not sent", reference=message.reference,
                                         error=str(exc))
            return False
        return True

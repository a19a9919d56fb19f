"""The mail drop: applications and documents that arrive by e-mail (spec/intake.md section 3).

The fund's mail server delivers each message as a file into a Maildir (``tmp/`` then a rename
into ``new/``, so a file in ``new/`` is always complete). :class:`MailDrop` takes every file
in ``new/`` at start, then whenever watchdog sees one arrive (and on a periodic rescan, for
events that are missed on network folders):

1. the message is parsed with the standard library's ``email`` package;
2. every attachment goes through the document checks (outside any transaction); when the
   configured malware scanner does not answer, the message stays in ``new/`` for later;
3. in one transaction: the message is claimed by its SHA-256 (a message is never taken
   twice, even by two watcher nodes), joined to the application named in its subject when
   the sender is that application's contact address, or else a new application is opened
   (``TRANSMISE``) with a note saying why, and each attachment is stored and recorded with
   a suggested kind for staff to confirm;
4. the file is moved to ``cur/`` (a message already claimed, after a crash, is only moved).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from gateway.intake.applications import Applications, CheckedFile
from gateway.intake.errors import ScannerUnavailable
from gateway.intake.status import Channel, Status
from gateway.intake.validation import MAX_LENGTHS, ApplicationData
from gateway.intake.views import application_view
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.files import make_folder
from gateway.store.models.intake import Application, MailMessage

log = get_logger(__name__)

REFERENCE_IN_SUBJECT = re.compile(r"\bDEM-[0-9]{4}-[0-9]{6}\b")
#: name given to an attachment that has none
UNNAMED = "piece-jointe"
#: attempts when a new application's reference is taken at the same moment elsewhere
ATTEMPTS = 20

#: why a message naming a reference opened a new application instead (shown in the report)
NOTES = {
    "reference_inconnue": ("Le message cite la référence {ref}, qui n'existe pas : une nouvelle demande a été ouverte.",
                           "The message names reference {ref}, which does not exist: a new application was opened."),
    "demande_cloturee": ("Le message cite la demande {ref}, déjà clôturée : une nouvelle demande a été ouverte.",
                         "The message names application {ref}, which is already closed: a new application was opened."),
    "expediteur_different": (
        "Le message cite la demande {ref}, mais son expéditeur ({sender}) n'est pas l'adresse de contact de "
        "cette demande : une nouvelle demande a été ouverte.",
        "The message names application {ref}, but its sender ({sender}) is not that application's contact "
        "address: a new application was opened."),
}


@dataclass(frozen=True)
class MailOutcome:
    """What happened to one message file."""

    file: str
    reference: str | None
    joined: bool
    documents: int
    note: str | None = None
    already_taken: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """The parts of a message the intake uses."""

    sender: str
    subject: str
    message_id: str
    attachments: tuple[tuple[str, bytes], ...]

    @property
    def reference(self) -> str | None:
        match = REFERENCE_IN_SUBJECT.search(self.subject)
        return match.group(0) if match else None


def parse_mail(raw: bytes) -> ParsedMail:
    """Sender, subject, Message-ID and attachments (name, bytes) of a message."""
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name is None and part.get_content_disposition() != "attachment":
            continue  # the body (text or HTML) is not a document
        payload = part.get_payload(decode=True) or b""
        attachments.append((name or UNNAMED, payload))
    return ParsedMail(sender=sender, subject=str(message.get("Subject", "") or "")[:300],
                      message_id=str(message.get("Message-ID", "") or "")[:300], attachments=tuple(attachments))


class MailDrop:
    """Takes messages from a Maildir into applications; a Service of ``gateway serve``."""

    name = "maildrop"

    def __init__(self, applications: Applications, folder: Path, *, rescan_interval: float = 30.0) -> None:
        self.applications = applications
        self.folder = Path(folder)
        self.rescan_interval = rescan_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None

    # ------------------------------------------------------------------ service

    def start(self) -> None:
        """Creates the Maildir folders, takes what is waiting, then watches ``new/``."""
        for sub in ("tmp", "new", "cur"):
            make_folder(self.folder / sub)
        self._stopping.clear()
        observer = Observer()
        observer.schedule(_Wake(self._wake), str(self.folder / "new"), recursive=False)
        observer.start()
        self._observer = observer
        self._wake.set()  # rescan at start
        self._thread = threading.Thread(target=self._run, name="maildrop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops watching; a message being taken is finished first."""
        self._stopping.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.rescan_interval)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self.process_pending()
            except Exception:  # keep watching: the next event or rescan retries
                log.exception("mail drop scan failed", folder=str(self.folder))

    # ------------------------------------------------------------------ taking messages

    def process_pending(self) -> list[MailOutcome]:
        """Takes every message now in ``new/``, oldest name first; returns what was done."""
        new = self.folder / "new"
        if not new.is_dir():
            return []
        outcomes = []
        for path in sorted(p for p in new.iterdir() if p.is_file() and not p.name.startswith(".")):
            if self._stopping.is_set():
                break
            try:
                outcome = self.take(path)
            except ScannerUnavailable as exc:
                log.warning("mail left for later: malware scanner unavailable", file=path.name, error=exc.message)
                continue
            except FileNotFoundError:
                continue  # another node took and moved it
            except Exception:
                log.exception("mail could not be taken; left in new/", file=path.name)
                continue
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def take(self, path: Path) -> MailOutcome | None:
        """Takes one message file (see the module docstring) and moves it to ``cur/``."""
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        apps = self.applications
        with apps.sessions() as session:
            if session.scalar(select(MailMessage.id).where(MailMessage.sha256 == digest)) is not None:
                self._to_cur(path)
                return MailOutcome(path.name, None, False, 0, already_taken=True)
        mail = parse_mail(raw)
        checked = [apps.check_file(data, name, None) for name, data in mail.attachments]
        for _ in range(ATTEMPTS):
            try:
                outcome, view, token = self._record(path, digest, mail, checked)
                break
            except IntegrityError:
                with apps.sessions() as session:  # taken meanwhile by another node, or a reference race
                    if session.scalar(select(MailMessage.id).where(MailMessage.sha256 == digest)) is not None:
                        self._to_cur(path)
                        return MailOutcome(path.name, None, False, 0, already_taken=True)
        else:  # pragma: no cover
            raise RuntimeError(f"could not record message {path.name}")
        self._to_cur(path)
        if token is not None:
            apps.acknowledge(view, token)
        log.info("mail taken", file=path.name, reference=outcome.reference, joined=outcome.joined,
                 documents=outcome.documents, note=outcome.note)
        return outcome

    def _record(self, path: Path, digest: str, mail: ParsedMail, checked: list[CheckedFile]):  # noqa: ANN202
        apps = self.applications
        actor = f"mail:{mail.sender or 'unknown'}"[:120]
        with transaction(apps.sessions) as session:
            row, note, token = None, None, None
            wanted = mail.reference
            if wanted is not None:
                found = session.scalar(select(Application).where(Application.reference == wanted).with_for_update())
                if found is None:
                    note = "reference_inconnue"
                elif not Status(found.status).is_open:
                    note = "demande_cloturee"
                elif not mail.sender or found.contact_email.lower() != mail.sender:
                    note = "expediteur_different"
                else:
                    row = found
            joined = row is not None
            if row is None:
                notes = ()
                if note is not None:
                    fr, en = NOTES[note]
                    notes = ({"code": note, "fr": fr.format(ref=wanted, sender=mail.sender),
                              "en": en.format(ref=wanted, sender=mail.sender)},)
                sender = mail.sender if len(mail.sender) <= MAX_LENGTHS["contact_email"] else ""
                row, token = apps.open_application(session, ApplicationData(contact_email=sender),
                                                   channel=Channel.MAIL, actor=actor, notes=notes)
            for item in checked:
                apps.record_document(session, row, item, actor=actor, source=Channel.MAIL)
            session.add(MailMessage(sha256=digest, maildir_key=path.name[:200], message_id=mail.message_id,
                                    sender=mail.sender[:254], subject=mail.subject, application_id=row.id,
                                    taken_at=apps.clock.now()))
            audit.record(session, actor=actor, action="intake.mail.take", target_type="application",
                         target_id=row.reference, joined=joined, note=note, documents=len(checked),
                         message_id=mail.message_id, sha256=digest)
            session.flush()
            view = application_view(row)
        return MailOutcome(path.name, view.reference, joined, len(checked), note), view, token

    def _to_cur(self, path: Path) -> None:
        name = path.name if ":2," in path.name else f"{path.name}:2,S"
        try:
            os.replace(path, self.folder / "cur" / name)
        except FileNotFoundError:
            pass  # moved by another node


class _Wake(FileSystemEventHandler):
    """Wakes the mail drop when a file appears in ``new/`` (created or renamed into it)."""

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_created(self, event: FileSystemEvent) -> None:
        self._wake.set()

    def on_moved(self, event: FileSystemEvent) -> None:
        self._wake.set()

"""The mail drop: applications and documents that arrive by e-mail (spec/intake.md section 3).

The fund's mail server delivers each message as a file into a Maildir (``tmp/`` then a rename
into ``new/``, so a file in ``new/`` is always complete). :class:`MailDrop` takes every file
in ``new/`` at start, then whenever watchdog sees one arrive (and on a periodic rescan, for
events that are missed on network folders). For each message, oldest name first:

1. bounds first (:mod:`gateway.intake.mailparse`): size before reading, MIME parts in the raw
   bytes before parsing, then parts, depth and attachments. A message over a bound goes to
   ``quarantine/`` with a ``<name>.reason.json`` beside it and an audit event, once; it is
   never retried. Any other exception while taking a message is counted in
   ``.attempts/<name>`` (counted before each attempt, so a message that kills the process
   counts too) and after ``max_attempts`` the message is quarantined as
   ``message_illisible``. Failures of the database or the disk are not the message's fault
   and are retried without counting;
2. where it goes (:mod:`gateway.intake.mailroute`): joined to an application (reply token
   and contact address), a new application, or kept in ``unattached/`` for staff;
3. attachments are checked and written to the dossier's staging folder outside any
   transaction (a configured malware scanner that does not answer leaves the message in
   ``new/`` for later);
4. one short transaction claims the message by its SHA-256 (never taken twice, even by two
   watcher nodes), opens or locks the application, renames the staged files into the
   dossier and records them, or records the message as waiting for staff;
5. the file moves to ``cur/`` (or ``unattached/``); a message already claimed, after a
   crash, is only moved.

Staff attach the messages kept in ``unattached/`` from the web interface
(:mod:`gateway.intake.unattached`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from gateway.config import IntakeSettings, declared
from gateway.intake.applications import Applications, CheckedFile
from gateway.intake.errors import MailRefused, ScannerUnavailable
from gateway.intake.mailparse import MailLimits, MailReason, ParsedMail, check_size, parse_mail
from gateway.intake.mailroute import route
from gateway.intake.replytoken import ReplyAddress
from gateway.intake.status import Channel
from gateway.intake.validation import MAX_LENGTHS, ApplicationData
from gateway.intake.views import ApplicationView, application_view
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.files import atomic_write, make_folder
from gateway.store.models.intake import MailMessage

log = get_logger(__name__)

#: attempts when a new application's reference is taken at the same moment elsewhere
ATTEMPTS = 20
#: failures of the store or the disk: retried on the next pass, never counted against the message
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, OSError)
FOLDERS = ("tmp", "new", "cur", "quarantine", "unattached", ".attempts")


@dataclass(frozen=True)
class MailOutcome:
    """What happened to one message file.

    ``state``: ``taken`` (joined or opened an application), ``unattached`` (kept for staff),
    ``quarantined``, or ``already_taken`` (claimed before: only moved).
    """

    file: str
    state: str
    reference: str | None = None
    joined: bool = False
    documents: int = 0
    reason: str | None = None

    @property
    def already_taken(self) -> bool:
        return self.state == "already_taken"


class MailDrop:
    """Takes messages from a Maildir into applications; a Service of ``gateway serve``."""

    name = "maildrop"

    def __init__(
        self,
        applications: Applications,
        folder: Path,
        *,
        limits: MailLimits | None = None,
        mailbox: ReplyAddress | None = None,
        max_attempts: int = declared(IntakeSettings, "mail_max_attempts"),
        rescan_interval: float = 30.0,
    ) -> None:
        """``mailbox`` is the reply address (``mail.reply_address``) whose plus addresses
        carry reply tokens; ``max_attempts`` bounds the tries of a message that fails."""
        self.applications = applications
        self.folder = Path(folder)
        self.limits = limits or MailLimits()
        self.mailbox = mailbox
        self.max_attempts = max(1, max_attempts)
        self.rescan_interval = rescan_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: BaseObserver | None = None

    # ------------------------------------------------------------------ service

    def start(self) -> None:
        """Creates the folders, takes what is waiting, then watches ``new/``."""
        self.create_folders()
        try:
            self.applications.sweep_staging()
        except Exception:  # the sweep is housekeeping: never a reason not to take mail
            log.exception("staged documents could not be swept")
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

    def create_folders(self) -> None:
        """The Maildir folders and the drop's own (quarantine, unattached, attempts)."""
        for sub in FOLDERS:
            make_folder(self.folder / sub)

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
        """Takes every message now in ``new/``, oldest name first; returns what was done.

        A message that cannot be taken now never stops the others.
        """
        new = self.folder / "new"
        if not new.is_dir():
            return []
        self.create_folders()
        outcomes = []
        for path in sorted(p for p in new.iterdir() if p.is_file() and not p.name.startswith(".")):
            if self._stopping.is_set():
                break
            try:
                outcomes.append(self.take(path))
            except ScannerUnavailable as exc:
                log.warning("mail left for later: malware scanner unavailable", file=path.name, error=exc.message)
            except FileNotFoundError:
                continue  # another node took and moved it
            except Exception:
                log.exception("mail could not be taken; left in new/ for the next pass", file=path.name)
        return outcomes

    def take(self, path: Path) -> MailOutcome:
        """Takes one message file (see the module docstring)."""
        attempt = self._attempts(path.name, +1)
        try:
            outcome = self._take(path)
        except MailRefused as exc:
            return self.quarantine(path, MailReason(exc.reason), exc.message)
        except (ScannerUnavailable, *INFRASTRUCTURE_ERRORS):
            self._attempts(path.name, -1)
            raise
        except Exception as exc:
            if attempt < self.max_attempts:
                raise
            log.exception("mail failed too often; quarantined", file=path.name, attempts=attempt)
            return self.quarantine(path, MailReason.UNREADABLE, f"{type(exc).__name__}: {exc}"[:500])
        self._attempts(path.name, 0)
        return outcome

    def _take(self, path: Path) -> MailOutcome:
        check_size(path.stat().st_size, self.limits)
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        claimed = self._claimed(digest)
        if claimed is not None:
            self._move_claimed(path, claimed)
            return MailOutcome(path.name, "already_taken")
        mail = parse_mail(raw, self.limits, self.mailbox)
        checked: list[CheckedFile] | None = None
        try:
            for _ in range(ATTEMPTS):
                with self.applications.sessions() as session:
                    wanted = route(session, mail)
                if wanted.needs_documents and checked is None:
                    checked = self.check_attachments(mail)
                try:
                    result = self._record(path, digest, mail, checked)
                except IntegrityError:
                    claimed = self._claimed(digest)
                    if claimed is not None:  # taken meanwhile by another node
                        self._move_claimed(path, claimed)
                        return MailOutcome(path.name, "already_taken")
                    continue  # a reference taken at the same moment elsewhere: next number
                if result is not None:
                    break
            else:  # pragma: no cover - would need ATTEMPTS creations in one instant
                raise RuntimeError(f"could not record message {path.name}")
        finally:
            self.applications.discard(checked or ())
        outcome, view, token = result
        if outcome.state == "unattached":
            self._move(path, "unattached", path.name)
        else:
            self._to_cur(path)
        if token is not None and view is not None:  # a token comes with the application it opens
            self.applications.acknowledge(view, token)
        log.info(
            "mail taken",
            file=path.name,
            state=outcome.state,
            reference=outcome.reference,
            joined=outcome.joined,
            documents=outcome.documents,
            reason=outcome.reason,
        )
        return outcome

    def check_attachments(self, mail: ParsedMail) -> list[CheckedFile]:
        """Checks every attachment and stages the kept ones, outside any transaction."""
        apps, checked = self.applications, []
        try:
            for name, data in mail.attachments:
                checked.append(apps.stage(apps.check_file(data, name, None)))
        except BaseException:
            apps.discard(checked)
            raise
        return checked

    def _record(
        self, path: Path, digest: str, mail: ParsedMail, checked: list[CheckedFile] | None
    ) -> tuple[MailOutcome, ApplicationView | None, str | None] | None:
        """The one short transaction of a message; None when the route now needs documents
        that were not checked (the application changed in between)."""
        apps = self.applications
        actor = f"mail:{mail.sender or 'unknown'}"[:120]
        now = apps.clock.now()
        with transaction(apps.sessions) as session:
            decided = route(session, mail, lock=True)
            common = {
                "sha256": digest,
                "maildir_key": path.name[:200],
                "message_id": mail.message_id,
                "sender": (mail.sender or "")[:254],
                "from_line": mail.from_line,
                "subject": mail.subject,
                "taken_at": now,
            }
            if decided.reason is not None:
                session.add(
                    MailMessage(state="unattached", reason=str(decided.reason), kept_name=path.name[:200], **common)
                )
                audit.record(
                    session,
                    actor=actor,
                    action="intake.mail.unattached",
                    target_type="mail",
                    target_id=path.name[:120],
                    reason=str(decided.reason),
                    from_line=mail.from_line,
                    subject=mail.subject,
                    message_id=mail.message_id,
                    sha256=digest,
                )
                outcome = MailOutcome(
                    path.name, "unattached", reason=str(decided.reason), documents=len(mail.attachments)
                )
                return outcome, None, None
            if checked is None:
                return None
            token = None
            row = decided.application
            if row is None:
                # a route that opens an application has a sender (without one, the mail is unattached)
                sender = mail.sender or ""
                sender = sender if len(sender) <= MAX_LENGTHS["contact_email"] else ""
                row, token = apps.open_application(
                    session, ApplicationData(contact_email=sender), channel=Channel.MAIL, actor=actor
                )
            for item in checked:
                apps.record_document(session, row, item, actor=actor, source=Channel.MAIL)
            session.add(MailMessage(state="taken", application_id=row.id, **common))
            audit.record(
                session,
                actor=actor,
                action="intake.mail.take",
                target_type="application",
                target_id=row.reference,
                joined=token is None,
                documents=len(checked),
                message_id=mail.message_id,
                sha256=digest,
            )
            session.flush()
            view = application_view(row)
        outcome = MailOutcome(path.name, "taken", view.reference, token is None, len(checked))
        return outcome, view, token

    # ------------------------------------------------------------------ quarantine

    def quarantine(self, path: Path, reason: MailReason, detail: str = "") -> MailOutcome:
        """Moves a message to ``quarantine/`` with its reason beside it, and audits it once.

        The files come first: the message leaves ``new/`` even when the database cannot
        record the event (logged then), so it is never taken again.
        """
        size = path.stat().st_size
        name = self._free_name("quarantine", path.name)
        note = {
            "file": path.name,
            "reason": str(reason),
            "detail": detail,
            "fr": reason.fr,
            "en": reason.en,
            "size": size,
            "at": self.applications.clock.now().isoformat(),
        }
        atomic_write(
            self.folder / "quarantine" / f"{name}.reason.json", json.dumps(note, ensure_ascii=False, indent=2).encode()
        )
        self._move(path, "quarantine", name)
        self._attempts(path.name, 0)
        try:
            with transaction(self.applications.sessions) as session:
                audit.record(
                    session,
                    actor="system:maildrop",
                    action="intake.mail.quarantine",
                    target_type="mail",
                    target_id=name[:120],
                    reason=str(reason),
                    why=detail[:500],
                    size=size,
                )
        except Exception:
            log.exception("quarantine not recorded in the audit trail", file=name, reason=str(reason))
        log.warning("mail quarantined", file=name, reason=str(reason), detail=detail, size=size)
        return MailOutcome(path.name, "quarantined", reason=str(reason))

    # ------------------------------------------------------------------ files

    def _attempts(self, name: str, change: int) -> int:
        """+1: counts one more attempt and returns the count; -1: takes one back; 0: forgets."""
        path = self.folder / ".attempts" / name
        if change == 0:
            path.unlink(missing_ok=True)
            return 0
        try:
            count = int(path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            count = 0
        count = max(0, count + change)
        make_folder(path.parent)
        atomic_write(path, str(count).encode(), durable=False)
        return count

    def _claimed(self, digest: str) -> MailMessage | None:
        with self.applications.sessions() as session:
            return session.scalar(select(MailMessage).where(MailMessage.sha256 == digest))

    def _move_claimed(self, path: Path, claimed: MailMessage) -> None:
        if claimed.state == "unattached" and claimed.kept_name == path.name:
            self._move(path, "unattached", path.name)
        else:
            self._to_cur(path)
        self._attempts(path.name, 0)

    def _to_cur(self, path: Path) -> None:
        self._move(path, "cur", path.name if ":2," in path.name else f"{path.name}:2,S")

    def _move(self, path: Path, folder: str, name: str) -> None:
        target = self.folder / folder
        make_folder(target)
        try:
            os.replace(path, target / name)
        except FileNotFoundError:
            pass  # moved by another node

    def _free_name(self, folder: str, name: str) -> str:
        candidate, n = name, 1
        while (self.folder / folder / candidate).exists():
            n += 1
            candidate = f"{name}.{n}"
        return candidate


class _Wake(FileSystemEventHandler):
    """Wakes the mail drop when a file appears in ``new/`` (created or renamed into it)."""

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_created(self, event: FileSystemEvent) -> None:
        self._wake.set()

    def on_moved(self, event: FileSystemEvent) -> None:
        self._wake.set()

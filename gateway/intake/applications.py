"""The application service: everything the web pages, the CLI and the mail drop do.

:class:`Applications` is the one entry point. Each method runs in its own transaction, takes
the acting person as ``actor`` (``staff:<login>``, ``applicant``, ``mail:<address>``,
``cli``, ``system``) and their ``address`` (for the audit trail), and returns frozen values
(:mod:`gateway.intake.views`). Errors are :class:`~gateway.intake.errors.IntakeError`
subclasses, each carrying its HTTP and exit statuses (read by the web and the CLI).

Who may change what:

- the applicant (``by_staff=False``) changes data and documents only while the application
  is ``EN_PREPARATION`` or ``A_CORRIGER``;
- staff (``by_staff=True``) change them in any open status (paper and mail applications are
  filled in by staff), and confirm the kinds of mail attachments;
- nothing changes once the application is ``CLOTUREE``.

Submission and decisions (correction request, refusal, approval, withdrawal) are
:class:`~gateway.intake.decisions.Decisions`, held as :attr:`Applications.decisions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlalchemy import event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.intake import followup, notify, replytoken
from gateway.intake.decisions import Decisions
from gateway.intake.documents import DocumentVerdict, check_document
from gateway.intake.documents.malware import Scanner
from gateway.intake.dossier import Dossier
from gateway.intake.errors import ApplicationNotFound, InvalidData, NotEditable
from gateway.intake.history import change_status
from gateway.intake.kinds import pdf_text, suggest_kind
from gateway.intake.report import IntakeReport, build_report
from gateway.intake.requirements import DocumentKind, parse_kind
from gateway.intake.rows import load_application
from gateway.intake.status import APPLICANT_EDITABLE, Channel, Status
from gateway.intake.validation import ApplicationData, check_lengths, is_valid_email
from gateway.intake.views import ApplicationView, DocumentView, application_view, document_view
from gateway.isolation import Isolation, default_isolation
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.intake import Application, ApplicationDocument

log = get_logger(__name__)

#: attempts at taking the next reference when creations race
REFERENCE_ATTEMPTS = 20


@dataclass(frozen=True)
class CheckedFile:
    """A file after the document checks, before it is stored and recorded."""

    data: bytes
    verdict: DocumentVerdict
    kind: DocumentKind | None
    suggested_kind: DocumentKind | None
    #: the name under which the bytes wait in the dossier's staging folder (Applications.stage)
    staged: str | None = None

    @property
    def kept(self) -> bool:
        """False for a file over the size limit: nothing of it is kept (spec section 2)."""
        return self.verdict.reason is None or str(self.verdict.reason) != "fichier_trop_volumineux"


@dataclass(frozen=True)
class Created:
    """A new application and its follow-up token (given once: only its hash is stored)."""

    application: ApplicationView
    followup_token: str


def record_document_view(sessions: sessionmaker[Session], doc_id: int, actor: str, address: str) -> None:
    """Records in the audit trail that ``actor`` opened document ``doc_id`` (spec section 7)."""
    with transaction(sessions) as session:
        row = session.get(ApplicationDocument, doc_id)
        if row is None:
            raise ApplicationNotFound(f"no document {doc_id}", document=doc_id)
        audit.record(
            session,
            actor=actor,
            action="intake.document.view",
            target_type="application_document",
            target_id=str(doc_id),
            address=address,
            reference=row.application.reference,
            sha256=row.sha256,
        )


class Applications:
    """Creates, changes and reads provider-code applications; :attr:`decisions` decides them."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        dossier: Dossier,
        max_document_bytes: int,
        scanner: Scanner | None = None,
        notifier: notify.Notifier | None = None,
        register_provider: Callable[[str, str], object] | None = None,
        followup_days_after_close: int,
        followup_url: str = "{token}",
        clock: Clock | None = None,
        isolation: Isolation | None = None,
        timezone: str = "UTC",
    ) -> None:
        """``register_provider(code, name)`` creates the OCB account on approval (usually
        ``lambda code, name: accounts.add(code, profession="OCB", name=name)``);
        ``followup_days_after_close`` is ``intake.followup_days_after_close``;
        ``followup_url`` is a template with ``{token}``, e.g. ``https://host/suivi/{token}``;
        ``isolation`` runs every reading of a document's content (checks, text, previews) in
        worker processes under limits (the process's shared pool when None); ``timezone`` is
        the zone the kept reports show their times in (the configured one)."""
        self.sessions = sessions
        self.dossier = dossier
        self.max_document_bytes = max_document_bytes
        self.scanner = scanner
        self.notifier = notifier
        self.followup_days_after_close = followup_days_after_close
        self.followup_url = followup_url
        self.clock = clock or SystemClock()
        self.isolation = isolation or default_isolation()
        self.timezone = timezone
        self.decisions = Decisions(
            sessions,
            clock=self.clock,
            dossier=dossier,
            send=self._send,
            link=self.link,
            register_provider=register_provider,
            timezone=timezone,
        )

    # ------------------------------------------------------------------ reading

    def get(self, reference: str) -> ApplicationView:
        """One application with documents and history; raises :class:`ApplicationNotFound`."""
        with self.sessions() as session:
            return application_view(self._load(session, reference))

    def list(
        self, *, status: Status | str | None = None, search: str = "", limit: int = 200, offset: int = 0
    ) -> list[ApplicationView]:
        """Applications, newest first; ``search`` matches reference, name, e-mail or code."""
        query = select(Application).options(selectinload(Application.documents), selectinload(Application.history))
        if status:
            query = query.where(Application.status == str(status))
        if search.strip():
            like = f"%{search.strip().lower()}%"
            query = query.where(
                or_(
                    func.lower(Application.reference).like(like),
                    func.lower(Application.establishment_name).like(like),
                    func.lower(Application.contact_email).like(like),
                    Application.provider_code.like(like),
                )
            )
        query = query.order_by(Application.id.desc()).limit(limit).offset(offset)
        with self.sessions() as session:
            return [application_view(row) for row in session.scalars(query)]

    def count_by_status(self) -> dict[str, int]:
        """Status -> number of applications (for the dashboard)."""
        with self.sessions() as session:
            rows = session.execute(select(Application.status, func.count()).group_by(Application.status))
            return dict(rows.all())  # a Result has keys(): dict() would read it as a mapping

    def by_followup(self, token: str) -> ApplicationView:
        """The application a follow-up token opens; raises :class:`FollowupInvalid`."""
        with self.sessions() as session:
            return application_view(
                followup.resolve(session, token, self.clock.now(), days_after_close=self.followup_days_after_close)
            )

    def report(self, reference: str) -> IntakeReport:
        """The intake report as the application stands now."""
        return build_report(self.get(reference), self.clock.now())

    def read_document(self, doc_id: int, *, actor: str, address: str = "") -> tuple[DocumentView, bytes]:
        """A document's value and bytes as received; the access is audited.

        Raises :class:`ApplicationNotFound` when the document is unknown or nothing of it was kept.
        """
        with self.sessions() as session:
            row = session.get(ApplicationDocument, doc_id)
            if row is None:
                raise ApplicationNotFound(f"no document {doc_id}", document=doc_id)
            view, stored = document_view(row, row.application.reference), row.stored_name
        if stored is None:
            raise ApplicationNotFound(f"document {doc_id} was not kept", document=doc_id)
        data = self.dossier.read(view.reference, stored)
        record_document_view(self.sessions, doc_id, actor, address)
        return view, data

    # ------------------------------------------------------------------ creating

    def create(
        self,
        data: ApplicationData | None = None,
        *,
        channel: Channel = Channel.WEB,
        actor: str,
        address: str = "",
        notes: tuple[dict[str, str], ...] = (),
    ) -> Created:
        """Opens an application: ``EN_PREPARATION`` from the web, ``TRANSMISE`` by mail or paper.

        The reference ``DEM-<year>-<6 digits>`` is the next of the year. Mail and paper
        applications with a contact address are acknowledged by message with a follow-up link.
        """
        channel = Channel(channel)
        data = (data or ApplicationData()).normalised()
        check_lengths(data)
        for _ in range(REFERENCE_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    row, token = self.open_application(
                        session, data, channel=channel, actor=actor, address=address, notes=notes
                    )
                    view = application_view(row)
                break
            except IntegrityError:
                continue  # another creation took this sequence number: take the next one
        else:  # pragma: no cover - would need REFERENCE_ATTEMPTS creations in one instant
            raise InvalidData("could not allocate an application reference", code="INT-REFERENCE")
        if channel is not Channel.WEB:
            self.acknowledge(view, token)
        return Created(view, token)

    def open_application(
        self,
        session: Session,
        data: ApplicationData,
        *,
        channel: Channel,
        actor: str,
        address: str = "",
        notes: tuple[dict[str, str], ...] = (),
    ) -> tuple[Application, str]:
        """Adds a new application to the caller's transaction; returns it and a follow-up token.

        The next reference of the year is taken; a race with another creation shows as an
        IntegrityError at flush, and the caller retries its transaction.
        """
        now = self.clock.now()
        status = Status.EN_PREPARATION if channel is Channel.WEB else Status.TRANSMISE
        sequence = (session.scalar(select(func.max(Application.sequence)).where(Application.year == now.year)) or 0) + 1
        row = Application(
            reference=f"DEM-{now.year}-{sequence:06d}",
            year=now.year,
            sequence=sequence,
            channel=str(channel),
            status=str(status),
            created_at=now,
            updated_at=now,
            correction_message="",
            decision_reason="",
            notes=list(notes),
            reply_token=replytoken.new_token(),
            **data.as_dict(),
        )
        session.add(row)
        session.flush()
        change_status(session, row, status, actor=actor, address=address, now=now, reason=f"ouverte ({channel})")
        token = followup.issue(session, row.id, now)
        session.flush()
        return row, token

    def acknowledge(self, view: ApplicationView, token: str) -> bool:
        """Sends the acknowledgement with its follow-up link to the contact address."""
        return self._send(notify.acknowledgement_message(view.data.contact_email, view.reference, self.link(token)))

    def link(self, token: str) -> str:
        """The follow-up URL of ``token``."""
        return self.followup_url.format(token=token)

    # ------------------------------------------------------------------ data and documents

    def update_data(
        self, reference: str, data: ApplicationData, *, actor: str, address: str = "", by_staff: bool = False
    ) -> ApplicationView:
        """Replaces the application's data (checks are reported, not enforced: see the report)."""
        data = data.normalised()
        check_lengths(data)
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            self._check_editable(row, by_staff)
            changed = sorted(k for k, v in data.as_dict().items() if getattr(row, k) != v)
            for key, value in data.as_dict().items():
                setattr(row, key, value)
            row.updated_at = self.clock.now()
            audit.record(
                session,
                actor=actor,
                action="intake.data.update",
                target_type="application",
                target_id=reference,
                address=address,
                fields=changed,
            )
            session.flush()
            return application_view(row)

    def attach_document(
        self,
        reference: str,
        *,
        data: bytes,
        name: str,
        kind: str | None,
        actor: str,
        address: str = "",
        source: Channel | str | None = None,
        by_staff: bool = False,
    ) -> DocumentView:
        """Checks one file and adds it under ``kind``, whatever the verdict (kept as received).

        A refused file is part of the application too (staff see what was sent); the returned
        value carries the verdict and the message to show at once. With ``kind`` None (mail)
        a kind is suggested from the name and text and waits for staff to confirm it; a kind
        given by the applicant or staff counts as confirmed. Raises
        :class:`~gateway.intake.errors.ScannerUnavailable` when a configured scanner does not
        answer (nothing is recorded: the applicant tries again later).
        """
        with self.sessions() as session:
            self._check_editable(self._load(session, reference), by_staff)
        checked = self.stage(self.check_file(data, name, kind))
        try:
            with transaction(self.sessions) as session:
                row = self._load(session, reference, lock=True)
                self._check_editable(row, by_staff)
                doc = self.record_document(
                    session, row, checked, actor=actor, address=address, source=Channel(source or row.channel)
                )
                return document_view(doc, reference)
        finally:
            self.discard((checked,))

    def check_file(self, data: bytes, name: str, kind: str | None) -> CheckedFile:
        """Runs the document checks (and the kind suggestion when ``kind`` is None); no I/O."""
        chosen = self._parse_kind(kind)
        verdict = check_document(
            data, name, max_bytes=self.max_document_bytes, scanner=self.scanner, isolation=self.isolation
        )
        suggested = None
        if chosen is None:
            text = pdf_text(data, isolation=self.isolation) if verdict.accepted else ""
            suggested = suggest_kind(verdict.display_name, text)
        return CheckedFile(data=data, verdict=verdict, kind=chosen, suggested_kind=suggested)

    def stage(self, checked: CheckedFile) -> CheckedFile:
        """Writes a checked file durably into the dossier's staging folder, before any transaction.

        Nothing is written for a file over the size limit. Whoever stages a file records it
        (:meth:`record_document`) or gives it back to :meth:`discard`.
        """
        if not checked.kept or checked.staged is not None:
            return checked
        return replace(checked, staged=self.dossier.stage(checked.data))

    def discard(self, checked: Iterable[CheckedFile]) -> None:
        """Removes the staged bytes of files that were not recorded (a no-op for recorded ones)."""
        for item in checked:
            if item.staged is not None:
                self.dossier.discard(item.staged)

    def record_document(
        self,
        session: Session,
        row: Application,
        checked: CheckedFile,
        *,
        actor: str,
        address: str = "",
        source: Channel,
    ) -> ApplicationDocument:
        """Moves a staged file into the dossier and adds its row to the caller's transaction.

        The file must have been staged (:meth:`stage`) before the transaction: here it is only
        renamed, so the transaction never waits for data to reach the disk. When the
        transaction does not commit, the file goes back to staging; once it commits, the
        dossier folder is synced. Nothing is kept of a file over the size limit (spec section 2).
        """
        verdict = checked.verdict
        reason = None if verdict.reason is None else str(verdict.reason)
        stored = None
        if checked.kept:
            if checked.staged is None:
                raise ValueError("stage the file (Applications.stage) before the transaction that records it")
            stored, reference = checked.staged, row.reference
            self.dossier.place(reference, stored)
            event.listen(session, "after_soft_rollback", lambda *_: self.dossier.unplace(reference, stored), once=True)
            synced = session.info.setdefault("dossiers_to_sync", set())
            if reference not in synced:
                synced.add(reference)
                event.listen(session, "after_commit", lambda *_: self.dossier.sync(reference), once=True)
        now = self.clock.now()
        doc = ApplicationDocument(
            kind=None if checked.kind is None else str(checked.kind),
            suggested_kind=None if checked.suggested_kind is None else str(checked.suggested_kind),
            kind_confirmed=checked.kind is not None,
            source=str(source),
            display_name=verdict.display_name,
            stored_name=stored,
            size=verdict.size,
            sha256=verdict.sha256 or "",
            verdict=str(verdict.verdict),
            reason=reason,
            flags=[str(f) for f in verdict.flags],
            detected_type=verdict.detected_type or "",
            page_count=verdict.page_count,
            pdf_version=verdict.pdf_version,
            producer=verdict.producer[:200] if verdict.producer else None,
            message_fr=verdict.message_fr,
            message_en=verdict.message_en,
            scanned=verdict.scanned,
            scan_result=(verdict.scan_result or "")[:200],
            received_at=now,
            received_by=actor,
        )
        row.documents.append(doc)
        row.updated_at = now
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="intake.document.add",
            target_type="application",
            target_id=row.reference,
            address=address,
            document=doc.id,
            kind=doc.kind,
            verdict=doc.verdict,
            reason=reason,
            sha256=doc.sha256,
        )
        return doc

    def remove_document(
        self, reference: str, doc_id: int, *, actor: str, address: str = "", by_staff: bool = False
    ) -> DocumentView:
        """Takes a file out of the application (it stays on record, marked removed)."""
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            self._check_editable(row, by_staff)
            doc = self._document(row, doc_id)
            if doc.removed_at is None:
                doc.removed_at = self.clock.now()
                row.updated_at = doc.removed_at
                audit.record(
                    session,
                    actor=actor,
                    action="intake.document.remove",
                    target_type="application",
                    target_id=reference,
                    address=address,
                    document=doc_id,
                )
            session.flush()
            return document_view(doc, reference)

    def confirm_kind(self, reference: str, doc_id: int, kind: str, *, actor: str, address: str = "") -> DocumentView:
        """Staff set (or confirm the suggested) kind of a document."""
        chosen = self._parse_kind(kind)
        if chosen is None:
            raise InvalidData("a kind is required", code="INT-KIND")
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            self._check_editable(row, by_staff=True)
            doc = self._document(row, doc_id)
            doc.kind, doc.kind_confirmed = str(chosen), True
            row.updated_at = self.clock.now()
            audit.record(
                session,
                actor=actor,
                action="intake.document.kind",
                target_type="application",
                target_id=reference,
                address=address,
                document=doc_id,
                kind=str(chosen),
                suggested=doc.suggested_kind,
            )
            session.flush()
            return document_view(doc, reference)

    # ------------------------------------------------------------------ follow-up links

    def issue_followup(self, reference: str, *, actor: str, address: str = "") -> str:
        """A new follow-up token for the application (e.g. staff resending a link)."""
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            token = followup.issue(session, row.id, self.clock.now())
            audit.record(
                session,
                actor=actor,
                action="intake.followup.issue",
                target_type="application",
                target_id=reference,
                address=address,
            )
        return token

    def revoke_followups(self, reference: str, *, actor: str, address: str = "") -> int:
        """Revokes every follow-up link of the application; returns how many."""
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            count = followup.revoke_all(session, row.id, actor=actor, now=self.clock.now())
            audit.record(
                session,
                actor=actor,
                action="intake.followup.revoke",
                target_type="application",
                target_id=reference,
                address=address,
                count=count,
            )
        return count

    def lock_editable(self, session: Session, reference: str, *, by_staff: bool) -> Application:
        """The application, locked in the caller's transaction; raises when it cannot be changed."""
        row = self._load(session, reference, lock=True)
        self._check_editable(row, by_staff)
        return row

    # ------------------------------------------------------------------ helpers

    _load = staticmethod(load_application)

    @staticmethod
    def _document(row: Application, doc_id: int) -> ApplicationDocument:
        doc = next((d for d in row.documents if d.id == doc_id), None)
        if doc is None:
            raise ApplicationNotFound(
                f"application {row.reference} has no document {doc_id}", reference=row.reference, document=doc_id
            )
        return doc

    @staticmethod
    def _parse_kind(kind: str | None) -> DocumentKind | None:
        try:
            return parse_kind(kind)
        except ValueError:
            raise InvalidData(f"{kind!r} is not a document kind", code="INT-KIND", kind=kind) from None

    @staticmethod
    def _check_editable(row: Application, by_staff: bool) -> None:
        status = Status(row.status)
        if not status.is_open or (not by_staff and status not in APPLICANT_EDITABLE):
            raise NotEditable(
                f"application {row.reference} cannot be changed while {status}",
                reference=row.reference,
                status=str(status),
            )

    def _send(self, message: notify.OutgoingMessage) -> bool:
        """Sends a message to the applicant, carrying the application's reply token.

        Returns False, sending nothing, without a notifier or a valid contact address (pages
        then never claim the applicant was told).
        """
        if self.notifier is None or not is_valid_email(message.to):
            log.info("no message sent: no valid contact address", reference=message.reference)
            return False
        with self.sessions() as session:
            token = session.scalar(select(Application.reply_token).where(Application.reference == message.reference))
        return self.notifier.deliver(replace(message, reply_token=token or ""))

    def sweep_staging(self, *, older_than_s: float = 86400.0) -> tuple[int, int]:
        """Puts in place staged documents that a row names, and removes the others older than
        ``older_than_s`` (left by a crash before their transaction); returns (placed, removed)."""
        placed = removed = 0
        for name in list(self.dossier.staged_before(older_than_s)):
            with self.sessions() as session:
                reference = session.scalar(
                    select(Application.reference)
                    .join(ApplicationDocument)
                    .where(ApplicationDocument.stored_name == name)
                )
            if reference is not None:
                self.dossier.place(reference, name)
                self.dossier.sync(reference)
                placed += 1
            else:
                self.dossier.discard(name)
                removed += 1
        if placed or removed:
            log.info("staged documents swept", placed=placed, removed=removed)
        return placed, removed

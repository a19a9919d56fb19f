"""Submission and decisions (spec/intake.md sections 4 and 6), part of :class:`Applications`.

Each decision is one transaction: the application row is locked, the change checked against
the status machine and recorded (history + audit); the message to the applicant goes out
after the commit. Approval also checks the report is COMPLET, allocates the code in the same
transaction, then registers the new provider account and writes the final report into the
dossier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import AccountError
from gateway.intake import followup, notify
from gateway.intake.codes import allocate_code
from gateway.intake.errors import InvalidData, NotComplete
from gateway.intake.history import change_status
from gateway.intake.rendering import render_pdf
from gateway.intake.report import build_report
from gateway.intake.status import Outcome, Status, check_transition
from gateway.intake.views import ApplicationView, application_view
from gateway.logs import get_logger
from gateway.store.db import transaction

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker

    from gateway.clock import Clock
    from gateway.intake.dossier import Dossier
    from gateway.store.models.intake import Application

log = get_logger(__name__)


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidData(f"{what} is required", code="INT-REASON")
    if len(value) > 5000:
        raise InvalidData(f"{what} is longer than 5000 characters", code="INT-REASON")
    return value


class Decisions:
    """Status changes of an application; mixed into :class:`Applications`."""

    # what Applications provides, declared for the type checker
    sessions: sessionmaker[Session]
    dossier: Dossier
    clock: Clock
    timezone: str
    register_provider: Callable[[str, str], object] | None

    if TYPE_CHECKING:

        def link(self, token: str) -> str: ...

        def _send(self, message: notify.OutgoingMessage) -> bool: ...

        @staticmethod
        def _load(session: Session, reference: str, *, lock: bool = False) -> Application: ...

    def submit(self, reference: str, *, actor: str, address: str = "") -> ApplicationView:
        """The applicant hands the application in (or back, after corrections): ``TRANSMISE``.

        Raises :class:`NotComplete` (listing the report's corrections) while the report has
        anything the applicant must correct: an application is never sent with a wrong e-mail
        address, IBAN or a missing document. Kinds that only staff can confirm (mail
        suggestions) do not hold it back. The first submission is acknowledged by message
        with a follow-up link.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            report = build_report(application_view(row), now)
            if report.to_correct:
                missing = [c.code for c in report.to_correct]
                raise NotComplete(
                    f"application {reference} cannot be sent yet: {', '.join(missing)}",
                    reference=reference,
                    problems=missing,
                )
            first = row.status == Status.EN_PREPARATION
            change_status(
                session,
                row,
                Status.TRANSMISE,
                actor=actor,
                address=address,
                now=now,
                reason="transmise" if first else "corrections transmises",
            )
            token = followup.issue(session, row.id, now) if first else None
            session.flush()
            view = application_view(row)
        if token:
            self._send(notify.acknowledgement_message(view.data.contact_email, reference, self.link(token)))
        return view

    def request_correction(self, reference: str, message: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff ask for corrections: ``A_CORRIGER`` with ``message`` for the applicant."""
        message = _text(message, "the message to the applicant")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            change_status(session, row, Status.A_CORRIGER, actor=actor, address=address, now=now, reason=message)
            row.correction_message = message
            token = followup.issue(session, row.id, now)
            session.flush()
            view = application_view(row)
        self._send(notify.correction_message(view.data.contact_email, reference, message, self.link(token)))
        return view

    def refuse(self, reference: str, reason: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff refuse: ``CLOTUREE`` / ``REFUSEE`` with ``reason``."""
        reason = _text(reason, "the reason of the refusal")
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            change_status(
                session, row, Status.CLOTUREE, Outcome.REFUSEE, actor=actor, address=address, now=now, reason=reason
            )
            row.decision_reason = reason
            token = followup.issue(session, row.id, now)
            session.flush()
            view = application_view(row)
        self._keep_final_report(view)
        self._send(notify.refusal_message(view.data.contact_email, reference, reason, self.link(token)))
        return view

    def withdraw(self, reference: str, *, actor: str, address: str = "", reason: str = "") -> ApplicationView:
        """The applicant (or staff on their request) withdraws: ``CLOTUREE`` / ``RETIREE``."""
        reason = (reason or "").strip()[:5000]
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            change_status(
                session,
                row,
                Status.CLOTUREE,
                Outcome.RETIREE,
                actor=actor,
                address=address,
                now=now,
                reason=reason or "retirée",
            )
            row.decision_reason = reason
            session.flush()
            view = application_view(row)
        self._keep_final_report(view)
        self._send(notify.withdrawal_message(view.data.contact_email, reference, reason))
        return view

    def approve(self, reference: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff approve a COMPLET application: the next OCB code is allocated and the
        application closed as ``CODE_ATTRIBUE``; the provider is registered and told the code.

        Raises :class:`NotComplete` (listing what is missing) for an INCOMPLET application and
        :class:`TransitionRefused` unless the application is ``TRANSMISE``. Two approvals at
        the same moment never get the same code, and one application never gets two.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = self._load(session, reference, lock=True)
            check_transition(Status(row.status), Status.CLOTUREE, Outcome.CODE_ATTRIBUE, reference=reference)
            report = build_report(application_view(row), now)
            if not report.complete:
                missing = [c.code for c in report.to_correct] + [f"kind_to_confirm:{i}" for i in report.to_confirm]
                raise NotComplete(
                    f"application {reference} is INCOMPLET: {', '.join(missing)}", reference=reference, problems=missing
                )
            code = allocate_code(session, application_id=row.id, name=row.establishment_name, actor=actor, at=now)
            row.provider_code = code
            change_status(
                session,
                row,
                Status.CLOTUREE,
                Outcome.CODE_ATTRIBUE,
                actor=actor,
                address=address,
                now=now,
                reason=f"code {code}",
            )
            token = followup.issue(session, row.id, now)
            session.flush()
            view = application_view(row)
        log.info("provider code allocated", reference=reference, provider=code)
        self._register(view)
        self._keep_final_report(view)
        self._send(notify.approval_message(view.data.contact_email, reference, code, self.link(token)))
        return view

    def register_missing_providers(self) -> list[str]:
        """Creates the accounts of approved applications that have none; returns their codes.

        The account is created after the approval's commit, so a crash in between leaves an
        allocated code without its account; ``gateway serve`` calls this at start to finish
        that work.
        """
        from sqlalchemy import select

        from gateway.store.models.accounts import Provider
        from gateway.store.models.intake import Application

        with self.sessions() as session:
            rows = session.execute(
                select(Application.provider_code, Application.establishment_name).where(
                    Application.outcome == str(Outcome.CODE_ATTRIBUE),
                    Application.provider_code.is_not(None),
                    ~select(Provider.code).where(Provider.code == Application.provider_code).exists(),
                )
            ).all()
        missing = [(code, name) for code, name in rows if code is not None]  # the query keeps coded ones
        for code, name in missing:
            log.warning("approved application had no provider account: creating it", provider=code)
            if self.register_provider is not None:
                self.register_provider(code, name)
        return [code for code, _ in missing]

    # ------------------------------------------------------------------ after a decision

    def _register(self, view: ApplicationView) -> None:
        """Creates the OCB provider account (no key or password yet) so that SFTP access can
        be given later; an account that already exists is left as it is."""
        if self.register_provider is None or view.provider_code is None:
            return
        try:
            self.register_provider(view.provider_code, view.data.establishment_name)
        except AccountError as exc:
            log.warning("provider account not created", provider=view.provider_code, error=exc.message)
        except OSError as exc:  # the account is in the database; its folder is rewritten at next start
            log.error("provider account folder not written", provider=view.provider_code, error=str(exc))

    def _keep_final_report(self, view: ApplicationView) -> None:
        """Writes the report as it stood at the decision into the dossier (JSON and PDF)."""
        report = build_report(view, self.clock.now())
        try:
            self.dossier.write_report(view.reference, "final.json", report.to_json().encode("utf-8"))
            self.dossier.write_report(view.reference, "final.pdf", render_pdf(report, timezone=self.timezone))
        except OSError as exc:  # the decision stands; the report can be produced again on demand
            log.error("final report not written", reference=view.reference, error=str(exc))

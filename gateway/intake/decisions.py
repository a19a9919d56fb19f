"""Submission and decisions (spec/intake.md sections 4 and 6), held by :class:`Applications`.

Every decision goes the same way (:meth:`Decisions._decide`): one transaction locks the
application row, checks the change against the status machine (:mod:`gateway.intake.status`),
runs what the decision checks or allocates, records the change (history + audit) and the
decision's fields, and issues a follow-up link; after the commit, a closed application's report
is kept in its dossier and the message goes to the applicant. Approval also checks the report is
COMPLET, allocates the code in the same transaction, then registers the new provider account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock
from gateway.errors import AccountError
from gateway.intake import followup, notify
from gateway.intake.codes import allocate_code
from gateway.intake.errors import InvalidData, NotComplete
from gateway.intake.history import change_status
from gateway.intake.rendering import render_pdf
from gateway.intake.report import build_report
from gateway.intake.rows import load_application
from gateway.intake.status import Outcome, Status, check_transition
from gateway.intake.views import ApplicationView, application_view
from gateway.logs import get_logger
from gateway.store.db import transaction

if TYPE_CHECKING:
    from gateway.intake.dossier import Dossier
    from gateway.store.models.intake import Application

log = get_logger(__name__)

#: what a decision runs after the transition check, in its transaction: may refuse (raise),
#: may allocate, and returns the reason recorded with the change (None: the decision's own)
Prepare = Callable[[Session, "Application", dt.datetime], "str | None"]
#: the message to the applicant (None: none), from the decided application and its new
#: follow-up link ("" without one)
Message = Callable[[ApplicationView, str], "notify.OutgoingMessage | None"]


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidData(f"{what} is required", code="INT-REASON")
    if len(value) > 5000:
        raise InvalidData(f"{what} is longer than 5000 characters", code="INT-REASON")
    return value


class Decisions:
    """Status changes of an application: submit, request correction, refuse, withdraw, approve."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock,
        dossier: Dossier,
        send: Callable[[notify.OutgoingMessage], bool],
        link: Callable[[str], str],
        register_provider: Callable[[str, str], object] | None = None,
        timezone: str = "UTC",
    ) -> None:
        """``send`` delivers a message to the applicant (the service's, with the reply token);
        ``link`` makes a follow-up URL of a token; ``register_provider(code, name)`` creates
        the OCB account on approval; ``timezone`` is the zone of the kept reports' times."""
        self.sessions = sessions
        self.clock = clock
        self.dossier = dossier
        self.send = send
        self.link = link
        self.register_provider = register_provider
        self.timezone = timezone

    def submit(self, reference: str, *, actor: str, address: str = "") -> ApplicationView:
        """The applicant hands the application in (or back, after corrections): ``TRANSMISE``.

        Raises :class:`NotComplete` (listing the report's corrections) while the report has
        anything the applicant must correct: an application is never sent with a wrong e-mail
        address, IBAN or a missing document. Kinds that only staff can confirm (mail
        suggestions) do not hold it back. The first submission is acknowledged by message
        with a follow-up link.
        """

        def prepare(session: Session, row: Application, now: dt.datetime) -> str:
            report = build_report(application_view(row), now)
            if report.to_correct:
                missing = [c.code for c in report.to_correct]
                raise NotComplete(
                    f"application {reference} cannot be sent yet: {', '.join(missing)}",
                    reference=reference,
                    problems=missing,
                )
            return "transmise" if row.status == Status.EN_PREPARATION else "corrections transmises"

        def acknowledgement(view: ApplicationView, token: str) -> notify.OutgoingMessage | None:
            if not token:  # sent back after corrections: no new link, no acknowledgement
                return None
            return notify.acknowledgement_message(view.data.contact_email, reference, self.link(token))

        return self._decide(
            reference,
            Status.TRANSMISE,
            actor=actor,
            address=address,
            prepare=prepare,
            followup_link=lambda row: row.status == Status.EN_PREPARATION,
            message=acknowledgement,
        )

    def request_correction(self, reference: str, message: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff ask for corrections: ``A_CORRIGER`` with ``message`` for the applicant."""
        message = _text(message, "the message to the applicant")
        return self._decide(
            reference,
            Status.A_CORRIGER,
            actor=actor,
            address=address,
            reason=message,
            fields={"correction_message": message},
            message=lambda view, token: notify.correction_message(
                view.data.contact_email, reference, message, self.link(token)
            ),
        )

    def refuse(self, reference: str, reason: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff refuse: ``CLOTUREE`` / ``REFUSEE`` with ``reason``."""
        reason = _text(reason, "the reason of the refusal")
        return self._decide(
            reference,
            Status.CLOTUREE,
            Outcome.REFUSEE,
            actor=actor,
            address=address,
            reason=reason,
            fields={"decision_reason": reason},
            message=lambda view, token: notify.refusal_message(
                view.data.contact_email, reference, reason, self.link(token)
            ),
        )

    def withdraw(self, reference: str, *, actor: str, address: str = "", reason: str = "") -> ApplicationView:
        """The applicant (or staff on their request) withdraws: ``CLOTUREE`` / ``RETIREE``."""
        reason = (reason or "").strip()[:5000]
        return self._decide(
            reference,
            Status.CLOTUREE,
            Outcome.RETIREE,
            actor=actor,
            address=address,
            reason=reason or "retirée",
            fields={"decision_reason": reason},
            followup_link=False,
            message=lambda view, _token: notify.withdrawal_message(view.data.contact_email, reference, reason),
        )

    def approve(self, reference: str, *, actor: str, address: str = "") -> ApplicationView:
        """Staff approve a COMPLET application: the next OCB code is allocated and the
        application closed as ``CODE_ATTRIBUE``; the provider is registered and told the code.

        Raises :class:`NotComplete` (listing what is missing) for an INCOMPLET application and
        :class:`TransitionRefused` unless the application is ``TRANSMISE``. Two approvals at
        the same moment never get the same code, and one application never gets two.
        """

        def prepare(session: Session, row: Application, now: dt.datetime) -> str:
            report = build_report(application_view(row), now)
            if not report.complete:
                missing = [c.code for c in report.to_correct] + [f"kind_to_confirm:{i}" for i in report.to_confirm]
                raise NotComplete(
                    f"application {reference} is INCOMPLET: {', '.join(missing)}", reference=reference, problems=missing
                )
            code = allocate_code(session, application_id=row.id, name=row.establishment_name, actor=actor, at=now)
            row.provider_code = code
            return f"code {code}"

        def registered(view: ApplicationView) -> None:
            log.info("provider code allocated", reference=reference, provider=view.provider_code)
            self._register(view)

        def message(view: ApplicationView, token: str) -> notify.OutgoingMessage:
            assert view.provider_code is not None, "prepare allocated the code"
            return notify.approval_message(view.data.contact_email, reference, view.provider_code, self.link(token))

        return self._decide(
            reference,
            Status.CLOTUREE,
            Outcome.CODE_ATTRIBUE,
            actor=actor,
            address=address,
            prepare=prepare,
            after_commit=registered,
            message=message,
        )

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

    # ------------------------------------------------------------------ the one way of deciding

    def _decide(
        self,
        reference: str,
        new: Status,
        outcome: Outcome | None = None,
        *,
        actor: str,
        address: str,
        reason: str = "",
        prepare: Prepare | None = None,
        fields: dict[str, str] | None = None,
        followup_link: bool | Callable[[Application], bool] = True,
        after_commit: Callable[[ApplicationView], None] | None = None,
        message: Message | None = None,
    ) -> ApplicationView:
        """Moves the application to ``new`` (``outcome`` when closing) and tells the applicant.

        In one transaction: the row is locked, the change checked against the status machine,
        ``prepare`` run (its answer, when not None, is the reason recorded), the change
        recorded in the history and the audit trail, ``fields`` set on the row and, when
        ``followup_link`` says so (a bool, or asked of the row before the change), a follow-up
        link issued. After the commit: ``after_commit``, the
        final report of a closed application kept, and ``message`` sent (given the new link,
        or "" without one). Nothing is sent when the transaction fails.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = load_application(session, reference, lock=True)
            check_transition(Status(row.status), new, outcome, reference=reference)
            if prepare is not None:
                reason = prepare(session, row, now) or reason
            issue = followup_link(row) if callable(followup_link) else followup_link
            change_status(session, row, new, outcome, actor=actor, address=address, now=now, reason=reason)
            for name, value in (fields or {}).items():
                setattr(row, name, value)
            token = followup.issue(session, row.id, now) if issue else ""
            session.flush()
            view = application_view(row)
        if after_commit is not None:
            after_commit(view)
        if new is Status.CLOTUREE:
            self._keep_final_report(view)
        outgoing = None if message is None else message(view, token)
        if outgoing is not None:
            self.send(outgoing)
        return view

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

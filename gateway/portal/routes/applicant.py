"""The page of an OCB applicant's approved application: the code and the decision letter."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.errors import NotFound
from gateway.portal.app import LoggedIn, portal
from gateway.portal.applicant import Decision, approved_application
from gateway.portal.login import ProviderView
from gateway.store import audit
from gateway.store.db import transaction
from gateway.web import i18n
from gateway.web.app import client_address, render

router = APIRouter(include_in_schema=False)


def _decision(request: Request, who: ProviderView) -> Decision:
    decision = approved_application(portal(request).sessions, who.code)
    if decision is None:
        raise NotFound("no approved application gave this code", code="WEB-PORTAL-NO-APPLICATION")
    return decision


@router.get("/application")
def application(request: Request, who: ProviderView = LoggedIn) -> Response:
    return render(request, "portal_application.html", decision=_decision(request, who))


@router.get("/application/letter")
def letter(request: Request, who: ProviderView = LoggedIn) -> Response:
    """The decision letter as a text file, in the page's language."""
    decision = _decision(request, who)
    with transaction(portal(request).sessions) as session:
        audit.record(
            session,
            actor=who.actor,
            action="portal.decision_letter",
            target_type="application",
            target_id=decision.reference,
            address=client_address(request),
        )
    lang = i18n.language_of(request)
    return Response(
        decision.letter(lang) + "\n",
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{decision.reference}-{lang}.txt"'},
    )

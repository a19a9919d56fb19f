"""Mail waiting for staff: messages the mail drop could not attach safely, and quarantine.

``/applications/mail`` lists the messages kept with their reason (no valid reply token, a
malformed or ambiguous sender, ...) and the latest quarantined ones. Staff attach a message
to an open application, or open a new application for its sender; both go through
:class:`gateway.intake.unattached.UnattachedMail`, which checks the attachments, records
them and audits the action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web.app import client_address, render, state
from gateway.web.auth import staff_member
from gateway.web.errors import BadInput
from gateway.web.routes.applications import IntakeUnavailable
from gateway.web.routes.files import Id
from gateway.web.staff import StaffView

if TYPE_CHECKING:  # built by the CLI; reached through the app state
    from gateway.intake.unattached import UnattachedMail

router = APIRouter(include_in_schema=False)


def unattached(request: Request) -> UnattachedMail:
    """The unattached-mail service, or 503."""
    mail = state(request).mail
    if mail is None:
        raise IntakeUnavailable("the mail drop is not available on this node")
    return mail


@router.get("/applications/mail")
def waiting(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    mail = unattached(request)
    return render(
        request,
        "mail.html",
        waiting=mail.waiting(),
        quarantined=mail.quarantined(),
        done=request.query_params.get("done", ""),
    )


@router.post("/applications/mail/{message_id}/attach")
async def attach(request: Request, message_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    reference = str(form.get("reference", "")).strip().upper()
    if not reference:
        raise BadInput("give the reference of the application to attach the message to")
    outcome = unattached(request).attach(message_id, reference, actor=user.actor, address=client_address(request))
    return RedirectResponse(f"/applications/{outcome.reference}?done=mail", status_code=303)


@router.post("/applications/mail/{message_id}/open")
async def open_new(request: Request, message_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    outcome = unattached(request).open_new(message_id, actor=user.actor, address=client_address(request))
    return RedirectResponse(f"/applications/{outcome.reference}?done=mail", status_code=303)

"""Applications for staff: work queue, detail with report and previews, decisions, documents.

Every decision goes through the intake service (which checks the status machine, records
who and why, and tells the applicant); every opening of a document, thumbnails included,
is recorded by the service's audited read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.intake.rendering import render_html, render_pdf
from gateway.intake.requirements import DocumentKind
from gateway.intake.status import Channel, Status
from gateway.intake.validation import ApplicationData, LegalForm, is_valid_email
from gateway.logs import get_logger
from gateway.web.app import client_address, render, state
from gateway.web.auth import staff_member
from gateway.web.errors import BadInput, WebError
from gateway.web.routes.files import Id
from gateway.web.security import DOCUMENT_CSP
from gateway.web.staff import StaffView
from gateway.web.thumbnails import ThumbnailError, first_page_png, placeholder_png

if TYPE_CHECKING:  # built by the CLI; reached through the app state
    from gateway.intake.applications import Applications
    from gateway.intake.views import DocumentView

log = get_logger(__name__)
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
QUEUE = ("TRANSMISE", "A_CORRIGER", "EN_PREPARATION", "CLOTUREE")


class IntakeUnavailable(WebError):
    """The intake service is not configured on this node."""

    code = "WEB-INTAKE-OFF"
    http_status = 503


def service(request: Request) -> Applications:
    """The intake service, or 503."""
    applications = state(request).applications
    if applications is None:
        raise IntakeUnavailable("applications are not available on this node")
    return applications


def _confirmed(form: Mapping[str, object]) -> None:
    if form.get("confirm") != "yes":
        raise BadInput("tick the confirmation box to go on")


@router.get("/applications")
def queue(
    request: Request,
    status: str = "TRANSMISE",
    q: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    user: StaffView = Depends(staff_member),
) -> Response:
    applications = service(request)
    status = status if status in QUEUE or status == "all" else "TRANSMISE"
    page = max(1, page)
    rows = applications.list(
        status=None if status == "all" else status, search=q, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "applications.html",
        applications=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        status=status,
        q=q,
        counts=applications.count_by_status(),
        queue=QUEUE,
    )


@router.get("/applications/new")
def paper_form(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    """Staff enter an application received on paper (spec/intake.md section 3.3)."""
    return render(request, "paper.html", data=ApplicationData(), legal_forms=list(LegalForm))


@router.post("/applications/new")
async def paper_create(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    data = ApplicationData.from_mapping({k: v for k, v in form.items() if isinstance(v, str)})
    created = service(request).create(data, channel=Channel.PAPER, actor=user.actor, address=client_address(request))
    return RedirectResponse(f"/applications/{created.application.reference}?done=created", status_code=303)


def _detail_page(request: Request, reference: str, *, link: str = "") -> Response:
    from gateway.web import i18n

    applications = service(request)
    view = applications.get(reference)
    report = applications.report(reference)
    report_html = render_html(
        report,
        lang=i18n.language_of(request),
        timezone=state(request).config.timezone,
        document_url=f"/applications/{reference}/documents/{{id}}",
    )
    return render(
        request,
        "application.html",
        app=view,
        report=report,
        report_html=report_html,
        kinds=list(DocumentKind),
        done=request.query_params.get("done", ""),
        link=link,
        can_notify=applications.notifier is not None and is_valid_email(view.data.contact_email),
        is_open=view.status != Status.CLOTUREE,
        legal_forms=list(LegalForm),
        data=view.data,
    )


@router.get("/applications/{reference}")
def detail(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    return _detail_page(request, reference)


@router.get("/applications/{reference}/report.json")
def report_json(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    report = service(request).report(reference)
    return Response(report.to_json(), media_type="application/json")


@router.get("/applications/{reference}/report.pdf")
def report_pdf(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    report = service(request).report(reference)
    return Response(
        render_pdf(report, timezone=state(request).config.timezone),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{reference}-rapport.pdf"'},
    )


def _document(request: Request, reference: str, doc_id: Id, user: StaffView) -> tuple[DocumentView, bytes]:
    applications = service(request)
    view, data = applications.read_document(doc_id, actor=user.actor, address=client_address(request))
    if view.reference != reference:
        raise BadInput("this document belongs to another application")
    return view, data


@router.get("/applications/{reference}/documents/{doc_id}")
def document(request: Request, reference: str, doc_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    """The file as received: accepted PDFs in the browser's viewer, anything else as a download."""
    view, data = _document(request, reference, doc_id, user)
    headers = {
        "Content-Security-Policy": DOCUMENT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if view.accepted:
        headers["Content-Disposition"] = f'inline; filename="document-{doc_id}.pdf"'
        return Response(data, media_type="application/pdf", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="document-{doc_id}.bin"'
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/applications/{reference}/documents/{doc_id}/thumbnail.png")
def thumbnail(request: Request, reference: str, doc_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    view, data = _document(request, reference, doc_id, user)
    if not view.accepted:
        raise BadInput("only accepted documents have a preview")
    headers = {"Cache-Control": "private, no-store"}
    try:
        png = first_page_png(data, isolation=service(request).isolation)
    except ThumbnailError as exc:
        # Rendered in a worker under limits: a page too costly to draw gets a placeholder.
        log.info("no preview", reference=reference, document=doc_id, error=str(exc))
        png = placeholder_png()
        headers["X-Preview"] = "placeholder"
    return Response(png, media_type="image/png", headers=headers)


@router.post("/applications/{reference}/correction")
async def request_correction(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    _confirmed(form)
    service(request).decisions.request_correction(
        reference, str(form.get("message", "")), actor=user.actor, address=client_address(request)
    )
    return RedirectResponse(f"/applications/{reference}?done=correction", status_code=303)


@router.post("/applications/{reference}/refuse")
async def refuse(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    _confirmed(form)
    service(request).decisions.refuse(
        reference, str(form.get("reason", "")), actor=user.actor, address=client_address(request)
    )
    return RedirectResponse(f"/applications/{reference}?done=refused", status_code=303)


@router.post("/applications/{reference}/approve")
async def approve(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    _confirmed(form)
    service(request).decisions.approve(reference, actor=user.actor, address=client_address(request))
    return RedirectResponse(f"/applications/{reference}?done=approved", status_code=303)


@router.post("/applications/{reference}/withdraw")
async def withdraw(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    _confirmed(form)
    service(request).decisions.withdraw(
        reference, actor=user.actor, address=client_address(request), reason=str(form.get("reason", ""))
    )
    return RedirectResponse(f"/applications/{reference}?done=withdrawn", status_code=303)


@router.post("/applications/{reference}/documents/{doc_id}/kind")
async def confirm_kind(
    request: Request, reference: str, doc_id: Id, user: StaffView = Depends(staff_member)
) -> Response:
    form = await request.form()
    service(request).confirm_kind(
        reference, doc_id, str(form.get("kind", "")), actor=user.actor, address=client_address(request)
    )
    return RedirectResponse(f"/applications/{reference}?done=kind", status_code=303)


@router.post("/applications/{reference}/data")
async def staff_data(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    data = ApplicationData.from_mapping({k: v for k, v in form.items() if isinstance(v, str)})
    service(request).update_data(reference, data, actor=user.actor, address=client_address(request), by_staff=True)
    return RedirectResponse(f"/applications/{reference}?done=data", status_code=303)


@router.post("/applications/{reference}/documents")
async def staff_upload(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    """Staff add a scanned document (paper applications, or one received otherwise)."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadInput("choose a file to add")
    service(request).attach_document(
        reference,
        data=await upload.read(),
        name=upload.filename,
        kind=str(form.get("kind", "")) or None,
        actor=user.actor,
        address=client_address(request),
        by_staff=True,
    )
    return RedirectResponse(f"/applications/{reference}?done=document", status_code=303)


@router.post("/applications/{reference}/followup/revoke")
def revoke_links(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    service(request).revoke_followups(reference, actor=user.actor, address=client_address(request))
    return RedirectResponse(f"/applications/{reference}?done=revoked", status_code=303)


@router.post("/applications/{reference}/followup/new")
def new_link(request: Request, reference: str, user: StaffView = Depends(staff_member)) -> Response:
    applications = service(request)
    token = applications.issue_followup(reference, actor=user.actor, address=client_address(request))
    # Shown once on this page, for staff to pass on (only its hash is stored).
    return _detail_page(request, reference, link=applications.link(token))

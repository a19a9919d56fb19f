"""Applicant pages (spec/intake.md section 3.1): no staff login, a private follow-up link.

``/demande`` opens an application (rate-limited per address) and sends the applicant to
``/suivi/<token>``: that page is both the form (while the applicant may edit) and the
follow-up (status, requested corrections, code). Every upload is checked at once and its
verdict shown with the document check's own message in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gateway.intake import ratelimit
from gateway.intake.errors import NotComplete
from gateway.intake.requirements import DocumentKind, required_kinds
from gateway.intake.status import APPLICANT_EDITABLE
from gateway.intake.validation import ApplicationData, LegalForm, data_checks, is_valid_email, wrong_values
from gateway.web import csrf, i18n
from gateway.web.app import client_address, render, state
from gateway.web.errors import BadInput
from gateway.web.formerrors import form_errors, typed_data
from gateway.web.routes.applications import service
from gateway.web.routes.files import Id

router = APIRouter(include_in_schema=False)
APPLICANT = "applicant"


def _data_from(form: Mapping[str, object]) -> ApplicationData:
    return ApplicationData.from_mapping({k: v for k, v in form.items() if isinstance(v, str)})


@router.get("/apply")
def apply_alias() -> Response:
    return RedirectResponse("/demande", status_code=303)


@router.get("/demande")
def apply_form(request: Request) -> Response:
    return render(request, "apply.html", data=ApplicationData(), legal_forms=list(LegalForm), kinds=list(DocumentKind))


@router.post("/demande")
async def apply_create(request: Request) -> Response:
    await csrf.check(request)
    web = state(request)
    applications = service(request)
    form = await request.form()
    data, typed = _data_from(form), typed_data(form)
    if wrong_values(data):
        # Nothing is created: the applicant sees every problem next to its field, values as typed.
        errors = form_errors(data_checks(data), typed, i18n.language_of(request))
        return render(
            request,
            "apply.html",
            status_code=422,
            data=typed,
            legal_forms=list(LegalForm),
            kinds=list(DocumentKind),
            errors=errors,
            field_errors=errors,
        )
    address = client_address(request)
    ratelimit.hit(
        web.sessions,
        address=address,
        action=ratelimit.Action.APPLICATION,
        limit=web.config.applications_per_hour,
        now=web.clock.now(),
    )
    created = applications.create(data, actor=APPLICANT, address=address)
    return RedirectResponse(f"/suivi/{created.followup_token}?created=1", status_code=303)


def _page(request: Request, token: str, *, status_code: int = 200, **extra: Any) -> Response:
    applications = service(request)
    view = applications.by_followup(token)
    report = applications.report(view.reference)
    shown = request.query_params.get("doc", "")
    just_checked = view.document(int(shown)) if shown.isdigit() else None
    per_kind = {k: [d for d in view.live_documents if (d.kind or d.suggested_kind) == k] for k in DocumentKind}
    # Wrong values (from mail, paper or staff) are marked at once; gaps only once sending was tried,
    # so a fresh draft is not covered in red (they are listed under "still missing").
    extra.setdefault("field_errors", form_errors(wrong_values(view.data), view.data, i18n.language_of(request)))
    return render(
        request,
        "followup.html",
        status_code=status_code,
        app=view,
        report=report,
        token=token,
        editable=view.status in APPLICANT_EDITABLE,
        legal_forms=list(LegalForm),
        kinds=list(DocumentKind),
        required=set(required_kinds(view.data.legal_form)),
        per_kind=per_kind,
        just_checked=just_checked,
        link=applications.link(token),
        created=request.query_params.get("created") == "1",
        saved=request.query_params.get("saved", ""),
        notified=applications.notifier is not None and is_valid_email(view.data.contact_email),
        **extra,
    )


@router.get("/suivi/{token}")
def followup(request: Request, token: str) -> Response:
    response = _page(request, token)
    # The token is the key to the application: never send it on as a referrer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/suivi/{token}/data")
async def save_data(request: Request, token: str) -> Response:
    await csrf.check(request)
    applications = service(request)
    view = applications.by_followup(token)
    form = await request.form()
    data, typed = _data_from(form), typed_data(form)
    if wrong_values(data):
        errors = form_errors(data_checks(data), typed, i18n.language_of(request))
        return _page(request, token, status_code=422, typed=typed, errors=errors, field_errors=errors)
    applications.update_data(view.reference, data, actor=APPLICANT, address=client_address(request))
    return RedirectResponse(f"/suivi/{token}?saved=data", status_code=303)


@router.post("/suivi/{token}/documents")
async def upload(request: Request, token: str) -> Response:
    web = state(request)  # the body's size was checked before this runs (gateway.web.limits)
    await csrf.check(request)
    applications = service(request)
    view = applications.by_followup(token)
    form = await request.form()
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        raise BadInput("choose a file to send")
    address = client_address(request)
    ratelimit.hit(
        web.sessions,
        address=address,
        action=ratelimit.Action.UPLOAD,
        limit=web.config.uploads_per_hour,
        now=web.clock.now(),
    )
    data = await upload_file.read()
    document = applications.attach_document(
        view.reference,
        data=data,
        name=upload_file.filename,
        kind=str(form.get("kind", "")) or None,
        actor=APPLICANT,
        address=address,
        source="web",
    )
    return RedirectResponse(f"/suivi/{token}?doc={document.id}#documents", status_code=303)


@router.post("/suivi/{token}/documents/{doc_id}/remove")
async def remove(request: Request, token: str, doc_id: Id) -> Response:
    await csrf.check(request)
    applications = service(request)
    view = applications.by_followup(token)
    applications.remove_document(view.reference, doc_id, actor=APPLICANT, address=client_address(request))
    return RedirectResponse(f"/suivi/{token}?saved=removed#documents", status_code=303)


@router.post("/suivi/{token}/submit")
async def submit(request: Request, token: str) -> Response:
    await csrf.check(request)
    applications = service(request)
    view = applications.by_followup(token)
    try:
        applications.decisions.submit(view.reference, actor=APPLICANT, address=client_address(request))
    except NotComplete:
        # Never sent with open problems: each is shown next to its field, documents in the summary.
        report = applications.report(view.reference)
        errors = form_errors(report.data_checks, view.data, i18n.language_of(request))
        return _page(
            request,
            token,
            status_code=422,
            problems_title="apply.cannot_send",
            errors=errors,
            field_errors=errors,
            other_problems=[c for c in report.to_correct if c.code.startswith("document_")],
        )
    return RedirectResponse(f"/suivi/{token}?saved=submitted", status_code=303)


@router.post("/suivi/{token}/withdraw")
async def withdraw(request: Request, token: str) -> Response:
    await csrf.check(request)
    form = await request.form()
    if form.get("confirm") != "yes":
        raise BadInput("tick the confirmation box to withdraw the application")
    applications = service(request)
    view = applications.by_followup(token)
    applications.decisions.withdraw(
        view.reference, actor=APPLICANT, address=client_address(request), reason=str(form.get("reason", ""))
    )
    return RedirectResponse(f"/suivi/{token}?saved=withdrawn", status_code=303)

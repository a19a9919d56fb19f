"""Request files: filtered list, detail (request with its errors, response, timings), downloads, void.

Every staff view and download of a file is recorded in the audit trail. Files are served
only as attachments (``application/octet-stream``, nosniff), never rendered by the browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from lxml import etree
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from gateway.errors import NotFound
from gateway.exchange.conventions import CODES
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.exchange.runtime.void import record_file_view, void_file
from gateway.store.models.exchange import ForwardedRecord, RequestFile, RequestFinding
from gateway.web import filelist, filestore, i18n
from gateway.web.app import client_address, render, state
from gateway.web.auth import staff_member
from gateway.web.errors import BadInput
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
#: ids are 32-bit integers on every database; larger values are refused before any query
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_SIZE = 50
#: lines of a request shown on its page; the download has all of them
MAX_LINES = 5000
MAX_DISPLAY_BYTES = 4 * 1024 * 1024
#: the convention filter's value for files refused before their convention was known
NO_CONVENTION = "none"
STATUSES = ("RECEIVED", "PROCESSING", "ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE", "DOUBLON", "VOIDED")


@dataclass(frozen=True)
class FileFilters:
    """The list's filters, as given in the query string."""

    provider: str = ""
    convention: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    error_code: str = ""
    name: str = ""

    def as_query(self) -> dict[str, str]:
        values = {
            "provider": self.provider,
            "convention": self.convention,
            "status": self.status,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "error_code": self.error_code,
            "name": self.name,
        }
        return {k: v for k, v in values.items() if v}


def parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"not a date (YYYY-MM-DD): {value[:20]}") from None


def filtered_query(filters: FileFilters, timezone: str) -> Select[RequestFile]:
    """The files matching ``filters``, newest first (shared by the page and the API)."""
    zone = ZoneInfo(timezone)
    query = select(RequestFile)
    if filters.provider:
        query = query.where(RequestFile.provider_code == filters.provider)
    if filters.convention == NO_CONVENTION:
        query = query.where(or_(RequestFile.convention.is_(None), RequestFile.convention == ""))
    elif filters.convention:
        query = query.where(RequestFile.convention == filters.convention)
    if filters.status == "VOIDED":
        query = query.where(RequestFile.voided_at.is_not(None))
    elif filters.status in ("RECEIVED", "PROCESSING"):
        query = query.where(RequestFile.state == filters.status)
    elif filters.status:
        query = query.where(RequestFile.status == filters.status)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time(), zone).astimezone(dt.UTC)
        query = query.where(RequestFile.received_at >= start)
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
        query = query.where(RequestFile.received_at < end)
    if filters.error_code:
        query = query.where(
            exists().where(RequestFinding.request_file_id == RequestFile.id, RequestFinding.code == filters.error_code)
        )
    if filters.name:
        query = query.where(RequestFile.name.contains(filters.name, autoescape=True))
    return query.order_by(RequestFile.id.desc())


@router.get("/files")
def file_list(
    request: Request,
    provider: str = "",
    convention: str = "",
    status: str = "",
    date_from: str = "",
    date_to: str = "",
    error_code: str = "",
    name: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    user: StaffView = Depends(staff_member),
) -> Response:
    web = state(request)
    filters = FileFilters(
        provider.strip(),
        convention.strip(),
        status.strip(),
        parse_date(date_from),
        parse_date(date_to),
        error_code.strip().upper(),
        name.strip(),
    )
    page = max(1, page)
    with web.sessions() as session:
        rows = list(
            session.scalars(
                filtered_query(filters, web.config.timezone).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
            )
        )
        names = filelist.provider_names(session)
        errors = filelist.first_errors(session, roots(request), rows[:PAGE_SIZE], i18n.language_of(request))
    return render(
        request,
        "files.html",
        files=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        filters=filters,
        query=filters.as_query(),
        providers=sorted(names),
        names=names,
        first_errors=errors,
        statuses=STATUSES,
        conventions=CODES,
    )


@dataclass(frozen=True)
class Line:
    """One line of a request as shown, with the findings that point at it."""

    number: int
    text: str
    codes: tuple[str, ...]


def request_lines(data: bytes, findings: list[RequestFinding]) -> tuple[list[Line], bool]:
    """The request's lines as shown (at most :data:`MAX_LINES`), each with the codes pointing at it;
    and whether some were left out."""
    by_line: dict[int, list[str]] = {}
    for finding in findings:
        if finding.line:
            by_line.setdefault(finding.line, []).append(finding.code)
    truncated = len(data) > MAX_DISPLAY_BYTES
    text = data[:MAX_DISPLAY_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    raw = text.splitlines()
    truncated = truncated or len(raw) > MAX_LINES
    return [Line(i, line, tuple(by_line.get(i, ()))) for i, line in enumerate(raw[:MAX_LINES], start=1)], truncated


RESPONSE_NS = "{urn:cns:echange:reponse:1}"


def response_messages(data: bytes) -> list[tuple[str, str]]:
    """(fr, en) of every ``Erreur`` of a response, in document order (the findings' order).

    The response is the gateway's own output; it is still parsed without entities or network.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return []
    messages = []
    for error in root.iter(f"{RESPONSE_NS}Erreur"):
        texts = {m.get("langue"): (m.text or "") for m in error.findall(f"{RESPONSE_NS}Message")}
        messages.append((texts.get("fr", ""), texts.get("en", "")))
    return messages


def load_file(session: Session, file_id: int) -> RequestFile:
    row = session.get(RequestFile, file_id)
    if row is None:
        raise NotFound(f"no request file {file_id}", code="WEB-FILE-NOT-FOUND")
    return row


def roots(request: Request) -> SpoolPaths:
    """The spool folders (``aside`` is not served)."""
    config = state(request).config
    return SpoolPaths(inbox=config.inbox, outbox=config.outbox, archive=config.archive, aside=config.data / "aside")


@router.get("/files/{file_id}")
def file_detail(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
        findings = list(
            session.scalars(
                select(RequestFinding)
                .where(RequestFinding.request_file_id == file_id)
                .order_by(RequestFinding.position)
            )
        )
        forwarded = (
            session.scalar(
                select(func.count()).select_from(ForwardedRecord).where(ForwardedRecord.request_file_id == file_id)
            )
            or 0
        )
        withdrawn = (
            session.scalar(
                select(func.count())
                .select_from(ForwardedRecord)
                .where(ForwardedRecord.request_file_id == file_id, ForwardedRecord.withdrawn_at.is_not(None))
            )
            or 0
        )
        duplicate_of = session.get(RequestFile, row.duplicate_of_id) if row.duplicate_of_id else None
    record_file_view(web.sessions, file_id=file_id, actor=user.actor, address=client_address(request))
    request_path = filestore.request_path(roots(request), row)
    response_path = filestore.response_path(roots(request), row)
    lines, truncated = request_lines(request_path.read_bytes(), findings) if request_path else ([], False)
    response_bytes = response_path.read_bytes() if response_path else None
    response_text = response_bytes.decode("utf-8", errors="replace") if response_bytes is not None else None
    messages = response_messages(response_bytes) if response_bytes else []
    if len(messages) != len(findings):  # an unexpected response: show the codes only
        messages = [("", "")] * len(findings)
    return render(
        request,
        "file.html",
        file=row,
        findings=list(zip(findings, messages, strict=True)),
        lines=lines,
        truncated=truncated,
        max_lines=MAX_LINES,
        has_request=request_path is not None,
        response_text=response_text,
        forwarded=forwarded,
        withdrawn=withdrawn,
        duplicate_of=duplicate_of,
        error_lines={f.line for f in findings if f.line},
    )


def _attachment(request: Request, user: StaffView, file_id: Id, which: str) -> Response:
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
    path = (filestore.request_path if which == "request" else filestore.response_path)(roots(request), row)
    if path is None:
        raise NotFound(f"the {which} of file {file_id} is no longer kept", code="WEB-FILE-GONE")
    record_file_view(
        web.sessions, file_id=file_id, actor=user.actor, address=client_address(request), what=f"download {which}"
    )
    name = row.name if which == "request" else row.response_name
    return FileResponse(
        path, media_type="application/octet-stream", filename=name, content_disposition_type="attachment"
    )


@router.get("/files/{file_id}/request")
def download_request(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    return _attachment(request, user, file_id, "request")


@router.get("/files/{file_id}/response")
def download_response(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    return _attachment(request, user, file_id, "response")


@router.post("/files/{file_id}/void")
async def void(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    if form.get("confirm") != "yes":
        raise BadInput("tick the confirmation box to void the file")
    if not 3 <= len(reason) <= 2000:
        raise BadInput("give the reason for voiding (3 to 2000 characters)")
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
    void_file(
        web.sessions,
        provider_code=row.provider_code,
        file_id=file_id,
        reason=reason,
        actor=user.actor,
        address=client_address(request),
        now=web.clock.now(),
    )
    return RedirectResponse(f"/files/{file_id}?voided=1", status_code=303)

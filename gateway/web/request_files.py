"""Reading request files, for the staff pages, the back-office API and the provider portal.

:class:`RequestFiles` is the one read service: the list with its filters and paging (pages
by number, the API by cursor), one file with its findings and their messages, the request's
lines as shown, and where its bytes are. Who may see which file is the caller's rule (staff:
all; the portal: the provider's own), as is everything about HTTP.

A finding's message is the response's own text, which carries the values (line, detail) that
the stored finding does not: the ``Erreur`` elements of a response are in the findings' order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.errors import NotFound
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.store.models.exchange import ForwardedRecord, RequestFile, RequestFinding
from gateway.web import filelist, filestore
from gateway.web.errors import BadInput

#: files on one page of a list
PAGE_SIZE = 50
#: lines of a request shown on its page; the download has all of them
MAX_LINES = 5000
MAX_DISPLAY_BYTES = 4 * 1024 * 1024
#: the convention filter's value for files refused before their convention was known
NO_CONVENTION = "none"
STATUSES = ("RECEIVED", "PROCESSING", "ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE", "DOUBLON", "VOIDED")
RESPONSE_NS = "{urn:cns:echange:reponse:1}"


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
        """The filters that are set, as query-string values (for the next page's link)."""
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
    """A filter's date (YYYY-MM-DD), None when empty; raises :class:`BadInput` otherwise."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"not a date (YYYY-MM-DD): {value[:20]}") from None


def filtered_query(filters: FileFilters, timezone: str) -> Select[RequestFile]:
    """The files matching ``filters``, newest first; dates are days in ``timezone``."""
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
    """The file ``file_id``; raises :class:`NotFound` when there is none."""
    row = session.get(RequestFile, file_id)
    if row is None:
        raise NotFound(f"no request file {file_id}", code="WEB-FILE-NOT-FOUND")
    return row


@dataclass(frozen=True)
class FilePage:
    """One page of a list by page number."""

    files: list[RequestFile]
    page: int
    has_next: bool


@dataclass(frozen=True)
class ShownFile:
    """One file with its findings, each beside its (fr, en) message ("" when the response is
    gone or does not match), where its request is, and its response's bytes."""

    file: RequestFile
    findings: list[tuple[RequestFinding, tuple[str, str]]]
    request_path: Path | None
    response: bytes | None

    def lines(self) -> tuple[list[Line], bool]:
        """The request's lines as shown with the codes pointing at them (none once purged)."""
        if self.request_path is None:
            return [], False
        return request_lines(self.request_path.read_bytes(), [f for f, _ in self.findings])


class RequestFiles:
    """Reads request files, their findings and bytes; never changes anything."""

    def __init__(self, sessions: sessionmaker[Session], spools: SpoolPaths, timezone: str) -> None:
        """``spools`` are the spool folders (the aside folder is never served); ``timezone``
        is the zone whose days the date filters name."""
        self.sessions = sessions
        self.spools = spools
        self.timezone = timezone

    @classmethod
    def of(cls, sessions: sessionmaker[Session], config: Any) -> RequestFiles:
        """The service over the folders of a web or portal configuration."""
        spools = SpoolPaths(
            inbox=config.inbox, outbox=config.outbox, archive=config.archive, aside=config.data / "aside"
        )
        return cls(sessions, spools, config.timezone)

    # ------------------------------------------------------------------ lists

    def page(self, filters: FileFilters, number: int) -> FilePage:
        """Page ``number`` (from 1) of the files matching ``filters``, newest first."""
        size = PAGE_SIZE
        query = filtered_query(filters, self.timezone).offset((number - 1) * size).limit(size + 1)
        with self.sessions() as session:
            rows = list(session.scalars(query))
        return FilePage(rows[:size], number, len(rows) > size)

    def after(self, filters: FileFilters, after: int, limit: int) -> tuple[list[RequestFile], int | None]:
        """Up to ``limit`` matching files with an id above ``after``, oldest first, and the
        cursor of the next batch (None after the last)."""
        query = filtered_query(filters, self.timezone).order_by(None).where(RequestFile.id > after)
        with self.sessions() as session:
            rows = list(session.scalars(query.order_by(RequestFile.id).limit(limit + 1)))
        return rows[:limit], rows[limit - 1].id if len(rows) > limit else None

    def provider_names(self) -> dict[str, str]:
        """Provider code -> name, for every provider."""
        with self.sessions() as session:
            return filelist.provider_names(session)

    def first_errors(self, rows: list[RequestFile], lang: str) -> dict[int, filelist.FirstError]:
        """File id -> the finding a reader looks at first, with its ``lang`` message."""
        with self.sessions() as session:
            return filelist.first_errors(session, self.spools, rows, lang)

    # ------------------------------------------------------------------ one file

    def get(self, file_id: int) -> RequestFile:
        """The file ``file_id``; raises :class:`NotFound` when there is none."""
        with self.sessions() as session:
            return load_file(session, file_id)

    def find(self, file_id: int) -> RequestFile | None:
        """The file ``file_id``, or None."""
        with self.sessions() as session:
            return session.get(RequestFile, file_id)

    def shown(self, row: RequestFile) -> ShownFile:
        """The file with its findings and their messages, and its bytes' whereabouts."""
        with self.sessions() as session:
            findings = list(
                session.scalars(
                    select(RequestFinding)
                    .where(RequestFinding.request_file_id == row.id)
                    .order_by(RequestFinding.position)
                )
            )
        response_path = self.response_path(row)
        response = response_path.read_bytes() if response_path else None
        messages = response_messages(response) if response else []
        if len(messages) != len(findings):  # an unexpected response: the codes only
            messages = [("", "")] * len(findings)
        return ShownFile(row, list(zip(findings, messages, strict=True)), self.request_path(row), response)

    def forwarded_counts(self, file_id: int) -> tuple[int, int]:
        """How many of the file's records were forwarded, and how many of them withdrawn."""
        counted = select(func.count()).select_from(ForwardedRecord).where(ForwardedRecord.request_file_id == file_id)
        with self.sessions() as session:
            forwarded = session.scalar(counted) or 0
            withdrawn = session.scalar(counted.where(ForwardedRecord.withdrawn_at.is_not(None))) or 0
        return forwarded, withdrawn

    def request_path(self, row: RequestFile) -> Path | None:
        """The request's bytes on disk, or None (purged, or not found)."""
        return filestore.request_path(self.spools, row)

    def response_path(self, row: RequestFile) -> Path | None:
        """The response (outbox, else archive), or None."""
        return filestore.response_path(self.spools, row)

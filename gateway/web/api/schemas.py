"""Bodies of the REST API (they make the OpenAPI document at /openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class ErrorOut(BaseModel):
    """Every refusal: a stable code and a message."""

    code: str
    message: str


class Page(BaseModel, Generic[T]):
    """One page of a list, by increasing id. To page: pass ``next_cursor`` as ``after`` with
    the same filters (``next`` is that request's path); null: the end."""

    items: list[T]
    next_cursor: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")
    next: str | None = Field(None, description="Path and query of the next page (same filters); null at the end.")


class FindingOut(BaseModel):
    code: str
    severity: str
    record_position: int | None = None
    record_id: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    value: str | None = None
    message_fr: str | None = Field(None, description="The finding's message in the response, in French.")
    message_en: str | None = Field(None, description="The finding's message in the response, in English.")


class FileOut(BaseModel):
    """A request file and its outcome (amounts in euros as decimal strings)."""

    id: int
    provider_code: str
    name: str
    response_name: str
    source: str
    state: str
    status: str | None = None
    mode: str | None = None
    convention: str | None = None
    id_fichier: str | None = None
    sequence: int | None = None
    size: int
    sha256: str
    received_at: dt.datetime
    answered_at: dt.datetime | None = None
    collected_at: dt.datetime | None = Field(
        None, description="When the provider first downloaded the response whole (null: not yet)."
    )
    deleted_at: dt.datetime | None = Field(
        None,
        description="When the response left /outbox (deleted by the provider, or by purge); "
        "from then on the request's name may be used again.",
    )
    records_received: int | None = None
    records_accepted: int | None = None
    records_rejected: int | None = None
    amount_received: str | None = None
    amount_accepted: str | None = None
    voided_at: dt.datetime | None = None
    void_reason: str | None = None


class FileDetail(FileOut):
    findings: list[FindingOut]


class VoidIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class VoidOut(BaseModel):
    file_id: int
    withdrawn_records: int
    voided_at: dt.datetime


class ApplicationOut(BaseModel):
    reference: str
    status: str
    outcome: str | None = None
    channel: str
    establishment_name: str
    provider_code: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class ApplicationsPage(BaseModel):
    """Applications, newest first; pass ``next_offset`` as ``offset`` for more (null: the end);
    ``next`` is that request's path."""

    items: list[ApplicationOut]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; null at the end.")
    next: str | None = Field(None, description="Path and query of the next page (same filters); null at the end.")


class ApplicationDetail(BaseModel):
    """The application (data, documents, history) and its intake report."""

    application: dict[str, Any]
    report: dict[str, Any]


class KeyOut(BaseModel):
    fingerprint: str
    algorithm: str
    bits: int
    comment: str


class ProviderOut(BaseModel):
    code: str
    profession: str
    name: str
    enabled: bool
    has_password: bool
    allowed_networks: list[str]
    keys: list[KeyOut]


class KeyIn(BaseModel):
    public_key: str = Field(min_length=1, max_length=16384, description="One OpenSSH public key line")

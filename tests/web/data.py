"""Real rows and files the web tests show: request files as the runtime leaves them, PDFs.

A file is registered with the runtime's own reception, its bytes archived where the spool
layout says, its response written to the outbox and the archive, and its outcome and
findings stored in the runtime's tables, as a processed file has them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from fpdf import FPDF

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.exchange.runtime.reception import register_received
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.store.db import transaction
from gateway.store.models.exchange import FileState, ForwardedRecord, RequestFinding
from tests.exchange import samples

KINE = samples.PROVIDERS["KINE"]
LAB = samples.PROVIDERS["LAB"]


@dataclass(frozen=True)
class FindingSpec:
    code: str
    severity: str = "ERREUR"
    line: int | None = None
    path: str | None = None
    value: str | None = None
    record_id: str | None = None


def add_providers(site) -> None:
    accounts = Accounts(
        site.sessions, AccountMirror(site.root / "providers" / "accounts", site.config.inbox, site.config.outbox)
    )
    existing = {a.code for a in accounts.list()}
    for code, profession, name in ((KINE, "KINE", "Kiné <Centre> & Co"), (LAB, "LAB", "Labo Sud")):
        if code not in existing:
            accounts.add(code, profession=profession, name=name)


def spools(site) -> SpoolPaths:
    config = site.config
    return SpoolPaths(inbox=config.inbox, outbox=config.outbox, archive=config.archive, aside=config.data / "aside")


def add_file(
    site,
    *,
    name: str | None = None,
    provider: str = KINE,
    content: bytes | None = None,
    status: str | None = "REJETE",
    received_at: dt.datetime | None = None,
    findings: tuple[FindingSpec, ...] = (),
    response: bytes | None = b"<Reponse/>",
    convention: str = "KINE",
    forwarded: int = 0,
    answered: bool = True,
) -> int:
    """A processed (or, with ``answered=False``, waiting) request file; returns its id."""
    add_providers(site)
    received_at = received_at or dt.datetime.now(dt.UTC)
    name = name or samples.file_name(convention, provider, 1)
    content = samples.build_request() if content is None else content
    paths = spools(site)
    with transaction(site.sessions) as session:
        row = register_received(
            session,
            provider_code=provider,
            name=name,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            received_at=received_at,
            source="sftp",
        )
        if not answered:
            paths.inbox_file(provider, name).parent.mkdir(parents=True, exist_ok=True)
            paths.inbox_file(provider, name).write_bytes(content)
            return row.id
        row.stored_at = paths.archive_ref(provider, row.id, name, received_at)
        archived = paths.resolve(row.stored_at)
        archived.parent.mkdir(parents=True, exist_ok=True)
        archived.write_bytes(content)
        row.state, row.status, row.convention, row.mode = FileState.ANSWERED, status, convention, "PRODUCTION"
        row.claimed_at = received_at + dt.timedelta(milliseconds=20)
        row.answered_at = received_at + dt.timedelta(milliseconds=150)
        row.processed_at, row.check_seconds = row.answered_at, 0.1
        row.records_received, row.records_accepted = 2, 1 if status == "PARTIELLEMENT_ACCEPTE" else 0
        row.records_rejected = row.records_received - row.records_accepted
        row.amount_received_cents, row.amount_accepted_cents = 12340, 6170
        for position, f in enumerate(findings):
            session.add(
                RequestFinding(
                    request_file_id=row.id,
                    position=position,
                    code=f.code,
                    severity=f.severity,
                    line=f.line,
                    path=f.path,
                    value=f.value,
                    record_id=f.record_id,
                    record_position=int(f.record_id) if f.record_id else None,
                )
            )
        for position in range(1, forwarded + 1):
            session.add(
                ForwardedRecord(
                    request_file_id=row.id,
                    provider_code=provider,
                    convention=convention,
                    file_name=name,
                    id_fichier="3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88",
                    record_position=position,
                    record_id=str(position),
                    reference=f"R-{position}",
                    matricule="1893120105732",
                    amount_cents=3085,
                    record_status="ACCEPTE",
                    forwarded_at=row.answered_at,
                )
            )
        file_id, response_name, stored_at = row.id, row.response_name, row.stored_at
    if response is not None:
        outbox = paths.outbox_file(provider, response_name)
        outbox.parent.mkdir(parents=True, exist_ok=True)
        outbox.write_bytes(response)
        paths.archived_response(stored_at, file_id, response_name).write_bytes(response)
    return file_id


def pdf(text: str = "Document", pages: int = 1) -> bytes:
    """A small real PDF (fpdf2)."""
    document = FPDF()
    for number in range(pages):
        document.add_page()
        document.set_font("helvetica", size=18)
        document.cell(text=f"{text} - page {number + 1}")
    return bytes(document.output())


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"

COMPLETE_DATA = {
    "establishment_name": "Ortho Sud",
    "legal_form": "SARL",
    "street": "1, rue de la Gare",
    "postcode": "L-1234",
    "locality": "Luxembourg",
    "register_number": "B123456",
    "authorisation_number": "10012345/1",
    "manager_first_name": "Jeanne",
    "manager_last_name": "Muller",
    "manager_matricule": "",
    "contact_email": "jeanne@ortho-sud.lu",
    "contact_phone": "+352 26 12 34 56",
    "iban": "LU28 0019 4006 4475 0000",
}
KINDS = (
    "fiche_renseignement",
    "piece_identite_gerant",
    "autorisation_etablissement",
    "role_artisanal",
    "statuts",
    "rib",
)

"""Fixtures of the application tests: a real service on the real database, real files."""

from __future__ import annotations

import datetime as dt
import functools
import mailbox
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.clock import FixedClock
from gateway.identifiers import luhn_check_digit, verhoeff_check_digit
from gateway.intake import notify
from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.intake.requirements import DocumentKind
from gateway.intake.validation import ApplicationData
from tests.intake.documents.samples import fpdf_pdf

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def matricule(first11: str = "19800101123") -> str:
    """A valid matricule (Luhn and Verhoeff digits computed)."""
    return first11 + str(luhn_check_digit(first11)) + str(verhoeff_check_digit(first11))


def valid_data(**changes: str) -> ApplicationData:
    """Data that passes every check."""
    values = {
        "establishment_name": "Orthopédie Dupont",
        "legal_form": "SARL",
        "street": "12, rue de la Gare",
        "postcode": "L-1611",
        "locality": "Luxembourg",
        "register_number": "B123456",
        "authorisation_number": "10098765/1",
        "manager_first_name": "Anne",
        "manager_last_name": "Dupont",
        "manager_matricule": matricule(),
        "contact_email": "anne@dupont.lu",
        "contact_phone": "+352 621 123 456",
        "iban": "LU28 0019 4006 4475 0000",
    }
    values.update(changes)
    return ApplicationData(**values)


@functools.cache
def pdf_for(kind: DocumentKind) -> bytes:
    """A real one-page PDF whose text names the kind (made once per run: fpdf2 takes its time)."""
    return fpdf_pdf(text=kind.label_fr)


class Outbox:
    """The folder the FolderMailer writes into, read back as parsed messages."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list:
        if not self.folder.is_dir():
            return []
        return [
            BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(self.folder.glob("*.eml"))
        ]

    def bodies_to(self, address: str) -> list[str]:
        return [m.get_content() for m in self.messages() if m["To"] == address]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outgoing-mail")


@pytest.fixture
def accounts(sessions, tmp_path: Path) -> Accounts:
    return Accounts(
        sessions,
        AccountMirror(tmp_path / "providers" / "accounts", tmp_path / "inbox", tmp_path / "outbox"),
        actor="staff:test",
    )


@pytest.fixture
def service(sessions, tmp_path: Path, clock: FixedClock, outbox: Outbox, accounts: Accounts) -> Applications:
    """The application service as the CLI wires it, writing messages as .eml files."""
    return Applications(
        sessions,
        dossier=Dossier(tmp_path / "providers" / "applications", durable=False),
        max_document_bytes=200_000,
        notifier=notify.Notifier(notify.FolderMailer(outbox.folder), "fonds@cns.invalid"),
        register_provider=lambda code, name: accounts.add(code, profession="OCB", name=name),
        followup_days_after_close=90,
        followup_url="https://gw.example/suivi/{token}",
        clock=clock,
    )


def complete_application(service: Applications, data: ApplicationData | None = None, *, submit: bool = True) -> str:
    """A web application with valid data and every required document; returns its reference."""
    data = data or valid_data()
    created = service.create(data, actor="applicant", address="192.0.2.7")
    reference = created.application.reference
    from gateway.intake.requirements import required_kinds

    for kind in required_kinds(data.legal_form):
        service.attach_document(reference, data=pdf_for(kind), name=f"{kind}.pdf", kind=str(kind), actor="applicant")
    if submit:
        service.decisions.submit(reference, actor="applicant", address="192.0.2.7")
    return reference


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    """A real Maildir in the project's data folder, as the fund's mail server delivers into."""
    folder = tmp_path / "var" / "maildrop"
    folder.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(folder, create=True)
    return folder


@pytest.fixture
def drop(service, maildir):
    """The mail drop taking messages from ``maildir`` into ``service``."""
    from gateway.intake.maildrop import MailDrop

    return MailDrop(service, maildir, rescan_interval=1.0)

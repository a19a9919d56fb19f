"""``import``: responses -> the provider's local database (files, records, errors).

A response is identified by the SHA-256 of its bytes: importing a folder twice, or a response
pulled twice, changes nothing. Each response is checked against the response schema first (a
response copied in from elsewhere is held to the same rule as a pulled one); an invalid one is
reported and skipped. Responses are linked to the request they answer by ``Demande/@nomFichier``
and ``Demande/@sha256``, which is what lets a name be used again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.client.errors import ResponseInvalid
from gateway.client.ledger import safe_parser
from gateway.client.pull import ResponseSchema
from gateway.client.store import LocalFinding, LocalResponse, LocalResponseRecord
from gateway.clock import utcnow
from gateway.exchange.checks.response import NAMESPACE, RESPONSE_SUFFIX
from gateway.store.db import transaction
from gateway.store.files import TEMP_PREFIX

NS = NAMESPACE  # the gateway's own response namespace


class ImportResult(StrEnum):
    """What importing one response file did."""

    IMPORTED = "imported"
    #: the same bytes were imported before: nothing changed
    KNOWN = "already imported"
    INVALID = "invalid"


@dataclass(frozen=True)
class Imported:
    """One response file looked at."""

    path: Path
    result: ImportResult
    status: str | None = None
    request_name: str | None = None
    problem: str | None = None


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _moment(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    # The gateway always writes an offset; a response without one is read as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _required(parent: etree._Element, tag: str) -> etree._Element:
    """A child the response schema requires (every file is validated before it is read)."""
    node = parent.find(_q(tag))
    if node is None:
        raise ResponseInvalid(f"the response has no {tag}")
    return node


def _attribute(node: etree._Element, name: str) -> str:
    """An attribute the response schema requires."""
    value = node.get(name)
    if value is None:
        raise ResponseInvalid(f"the response's {etree.QName(node).localname} has no {name}")
    return value


def _findings(parent: etree._Element, response: LocalResponse, record: LocalResponseRecord | None) -> None:
    for error in parent.findall(_q("Erreur")):
        messages = {m.get("langue"): (m.text or "") for m in error.findall(_q("Message"))}
        value = error.find(_q("Valeur"))
        response.errors.append(
            LocalFinding(
                position=len(response.errors) + 1,
                record=record,
                code=error.get("code"),
                severity=error.get("gravite"),
                line=_int(error.get("ligne")),
                column=_int(error.get("colonne")),
                path=error.get("chemin"),
                value=value.text if value is not None else None,
                message_fr=messages.get("fr", ""),
                message_en=messages.get("en", ""),
            )
        )


def parse_response(data: bytes, *, name: str, source: str) -> LocalResponse:
    """A response file's bytes as an unsaved :class:`LocalResponse` with its records and errors."""
    root = etree.fromstring(data, safe_parser())
    demande = _required(root, "Demande")
    traitement = _required(root, "Traitement")
    response = LocalResponse(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        request_name=demande.get("nomFichier"),
        status=(_required(root, "Statut").text or "").strip(),
        mode=traitement.get("mode"),
        convention=demande.get("convention"),
        id_fichier=demande.get("idFichier"),
        sequence=_int(demande.get("numeroSequence")),
        request_sha256=demande.get("sha256"),
        received_at=_moment(_attribute(demande, "recuLe")),
        processed_at=_moment(_attribute(traitement, "traiteLe")),
        source=source,
        imported_at=utcnow(),
    )
    counters = root.find(_q("Compteurs"))
    if counters is not None:
        response.records_received = _int(counters.get("enregistrementsRecus"))
        response.records_accepted = _int(counters.get("enregistrementsAcceptes"))
        response.records_rejected = _int(counters.get("enregistrementsRejetes"))
        response.amount_received = _decimal(counters.get("montantRecu"))
        response.amount_accepted = _decimal(counters.get("montantAccepte"))
    duplicate = root.find(_q("DoublonDe"))
    if duplicate is not None:
        response.duplicate_of = duplicate.get("nomFichier")
    file_errors = root.find(_q("ErreursFichier"))
    if file_errors is not None:
        _findings(file_errors, response, None)
    records = root.find(_q("Enregistrements"))
    for position, element in enumerate(records if records is not None else (), start=1):
        record = LocalResponseRecord(
            position=position,
            record_id=int(_attribute(element, "id")),
            reference=element.get("reference"),
            status=element.get("statut"),
        )
        response.records.append(record)
        _findings(element, response, record)
    return response


def response_files(folder: Path) -> list[Path]:
    """The response files of ``folder`` (not the ``invalid/`` ones, not temporary files)."""
    return sorted(
        p
        for p in folder.glob(f"*{RESPONSE_SUFFIX[:-4]}*.xml")
        if p.is_file() and not p.name.startswith((".", TEMP_PREFIX))
    )


def import_responses(folder: Path, sessions: sessionmaker[Session], schema: ResponseSchema) -> list[Imported]:
    """Imports every response file of ``folder`` not imported yet; returns one line per file."""
    results = []
    for path in response_files(folder):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with transaction(sessions) as session:
            known = session.scalar(select(LocalResponse.id).where(LocalResponse.sha256 == digest))
            if known is not None:
                results.append(Imported(path, ImportResult.KNOWN))
                continue
            try:
                schema.check(path)
            except ResponseInvalid as exc:
                results.append(Imported(path, ImportResult.INVALID, problem=exc.message))
                continue
            response = parse_response(data, name=path.name, source=str(path.resolve()))
            session.add(response)
            results.append(Imported(path, ImportResult.IMPORTED, response.status, response.request_name))
    return results

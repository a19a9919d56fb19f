"""Reading back a response the gateway already wrote, for a file it gives up on.

Responses are final: when a file's response was written by an earlier attempt but the final
commit never succeeded (it failed ``exchange.max_attempts`` times), the row must record what
that response told the provider. :func:`outcome_of_response` reads the parts a row keeps
(status, mode, convention, IdFichier, sequence, file-level findings, the earlier file of a
DOUBLON); the records themselves are not in a response in enough detail to be forwarded.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from gateway.exchange.checks.messages import INTERNAL_ERROR
from gateway.exchange.checks.model import EarlierFile, FileStatus, Finding, Mode, Outcome, Received, Severity
from gateway.exchange.checks.response import DIAGNOSTIC_PREFIX, NAMESPACE

_R = f"{{{NAMESPACE}}}"


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 20 else None


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _finding(error: etree._Element) -> Finding:
    messages = {m.get("langue"): m.text or "" for m in error.iterfind(f"{_R}Message")}
    return Finding(
        code=error.get("code", ""),
        severity=Severity(error.get("gravite", "FATAL")),
        message_fr=messages.get("fr", ""),
        message_en=messages.get("en", ""),
        line=_int(error.get("ligne")),
        column=_int(error.get("colonne")),
        path=error.get("chemin"),
        value=error.findtext(f"{_R}Valeur"),
        diagnostic=_diagnostic(error),
    )


def _diagnostic(error: etree._Element) -> str | None:
    """The checking tool's words that the response keeps in a comment of the error, if any."""
    for comment in error.iterchildren(etree.Comment):
        text = (comment.text or "").strip()
        if text.startswith(DIAGNOSTIC_PREFIX):
            return text[len(DIAGNOSTIC_PREFIX) :]
    return None


def outcome_of_response(data: bytes, received: Received) -> tuple[Outcome | None, int]:
    """(the outcome a response states, its number of accepted records); (None, 0) for a SYS-001 response.

    The outcome has no records (``records`` None): nothing of it can be forwarded.
    """
    fields: dict[str, Any] = {}
    findings: list[Finding] = []
    accepted = 0
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=True,
    )
    for event, element in events:
        tag = element.tag
        if event == "start":
            if tag == f"{_R}Enregistrements":
                break  # the records come last and are not needed
            continue
        if tag == f"{_R}Demande":
            fields.update(
                convention=element.get("convention"),
                id_fichier=element.get("idFichier"),
                sequence=_int(element.get("numeroSequence")),
            )
        elif tag == f"{_R}Traitement" and (mode := element.get("mode")):
            fields["mode"] = Mode(mode)
        elif tag == f"{_R}Statut":
            fields["status"] = FileStatus(element.text or "")
        elif tag == f"{_R}DoublonDe":
            fields["duplicate_of"] = EarlierFile(
                element.get("nomFichier", ""), dt.datetime.fromisoformat(element.get("recuLe", ""))
            )
        elif tag == f"{_R}Compteurs":
            accepted = _int(element.get("enregistrementsAcceptes")) or 0
            fields.update(
                amount_received=_amount(element.get("montantRecu")),
                amount_accepted=_amount(element.get("montantAccepte")),
            )
        elif (
            tag == f"{_R}Erreur" and (parent := element.getparent()) is not None and parent.tag == f"{_R}ErreursFichier"
        ):
            findings.append(_finding(element))
    if any(f.code == INTERNAL_ERROR for f in findings):
        return None, 0
    return Outcome(received=received, file_findings=tuple(findings), **fields), accepted

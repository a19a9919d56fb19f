"""What the file list shows beside each file: its provider's name and its first error.

The first error is the first finding of severity FATAL or ERREUR (the first finding when the
file has only warnings). Its message is the response's own text, read from the response
file up to that message only: the response carries the values (line, detail) that the
stored finding does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.exchange.spool import SpoolPaths
from gateway.store.models.accounts import Provider
from gateway.store.models.exchange import RequestFile, RequestFinding
from gateway.web import filestore

ERROR_SEVERITIES = ("FATAL", "ERREUR")
RESPONSE_NS = "{urn:cns:echange:reponse:1}"


@dataclass(frozen=True)
class FirstError:
    """The finding a staff member reads first, with its message in the page's language."""

    code: str
    severity: str
    line: int | None
    message: str


def provider_names(session: Session) -> dict[str, str]:
    """Provider code -> name, for every provider."""
    return dict(session.execute(select(Provider.code, Provider.name)).all())


def first_errors(session: Session, spools: SpoolPaths, rows: Iterable[RequestFile], lang: str) -> dict[int, FirstError]:
    """File id -> its first error, for the files of ``rows`` that have findings."""
    rows = {row.id: row for row in rows}
    findings: dict[int, list[RequestFinding]] = {}
    for finding in session.scalars(select(RequestFinding).where(RequestFinding.request_file_id.in_(rows))
                                   .order_by(RequestFinding.request_file_id, RequestFinding.position)):
        findings.setdefault(finding.request_file_id, []).append(finding)
    result = {}
    for file_id, found in findings.items():
        index = next((i for i, f in enumerate(found) if f.severity in ERROR_SEVERITIES), 0)
        chosen = found[index]
        path = filestore.response_path(spools, rows[file_id])
        message = _nth_message(path, index, lang) if path else ""
        result[file_id] = FirstError(chosen.code, chosen.severity, chosen.line, message)
    return result


def _nth_message(path: Path, index: int, lang: str) -> str:
    """The ``lang`` message of the response's ``index``-th ``Erreur`` (in findings order), or ''.

    The response is the gateway's own output; it is still read without entities or network,
    and only as far as that message.
    """
    try:
        for count, (_, element) in enumerate(etree.iterparse(
                str(path), events=("end",), tag=f"{RESPONSE_NS}Erreur", resolve_entities=False,
                no_network=True, huge_tree=False)):
            if count == index:
                texts = {m.get("langue"): (m.text or "") for m in element.findall(f"{RESPONSE_NS}Message")}
                return texts.get(lang) or texts.get("fr", "")
            element.clear()
    except (etree.XMLSyntaxError, OSError):
        return ""
    return ""

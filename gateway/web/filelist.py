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
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gateway.exchange.runtime.spool import SpoolPaths
from gateway.store.models.accounts import Provider
from gateway.store.models.exchange import RequestFile, RequestFinding
from gateway.web import filestore

ERROR_SEVERITIES = ("FATAL", "ERREUR")
RESPONSE_NS = "{urn:cns:echange:reponse:1}"
CHUNK_BYTES = 4 * 1024


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
    """File id -> its first error, for the files of ``rows`` that have findings.

    Two small queries whatever the number of findings (a rejected file may have thousands):
    the first positions per file, then those findings only. Positions are consecutive in
    response order, so the chosen finding's distance from the first is its ``Erreur``'s index.
    """
    by_id = {row.id: row for row in rows}
    if not by_id:
        return {}
    error_position = func.min(case((RequestFinding.severity.in_(ERROR_SEVERITIES), RequestFinding.position)))
    firsts = session.execute(
        select(RequestFinding.request_file_id, func.min(RequestFinding.position), error_position)
        .where(RequestFinding.request_file_id.in_(by_id))
        .group_by(RequestFinding.request_file_id)
    ).all()
    chosen = {file_id: (first, error if error is not None else first) for file_id, first, error in firsts}
    if not chosen:
        return {}
    findings = session.scalars(
        select(RequestFinding).where(
            RequestFinding.request_file_id.in_(chosen),
            RequestFinding.position.in_({position for _, position in chosen.values()}),
        )
    )
    result = {}
    for finding in findings:
        file_id = finding.request_file_id
        first, position = chosen[file_id]
        if finding.position != position:
            continue  # the chosen position of another file
        path = filestore.response_path(spools, by_id[file_id])
        message = _nth_message(path, position - first, lang) if path else ""
        result[file_id] = FirstError(finding.code, finding.severity, finding.line, message)
    return result


def _nth_message(path: Path, index: int, lang: str) -> str:
    """The ``lang`` message of the response's ``index``-th ``Erreur`` (in findings order), or ''.

    The response is the gateway's own output; it is still read without entities or network,
    and only as far as that message (in chunks), so a long response costs no more than a short one.
    """
    parser = etree.XMLPullParser(
        events=("end",), tag=f"{RESPONSE_NS}Erreur", resolve_entities=False, no_network=True, huge_tree=False
    )
    count = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                parser.feed(chunk)
                for _, element in parser.read_events():
                    if count == index:
                        texts = {m.get("langue"): (m.text or "") for m in element.findall(f"{RESPONSE_NS}Message")}
                        return texts.get(lang) or texts.get("fr", "")
                    count += 1
                    element.clear()
    except (etree.XMLSyntaxError, OSError):
        return ""
    return ""

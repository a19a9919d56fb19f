"""The response file of spec/exchange.md section 6.

Written as text, element by element in the order of the spec's example, so a response to a
100,000-record file never exists as a tree. The same outcome always gives the same bytes,
apart from ``traiteLe``. Characters XML cannot carry (control characters quoted from a
request) are replaced by U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from gateway.exchange.checks.model import FileStatus, Finding, Outcome

#: namespace of responses (schemas/response-1.0.xsd); the client reads responses by it
NAMESPACE = "urn:cns:echange:reponse:1"
#: a response's name is its request's name with this instead of ``.xml`` (section 2)
RESPONSE_SUFFIX = "_REP.xml"
VERSION = "1.0"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ATTRIBUTE = {**_TEXT, '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_TEXT_RE = re.compile("[&<>\r]")
_ATTRIBUTE_RE = re.compile('[&<>"\t\n\r]')
#: what an attribute's printable ASCII value may hold that must be escaped
_NEEDS_ESCAPE = frozenset('&<>"')


def _text(value: str) -> str:
    return _TEXT_RE.sub(lambda m: _TEXT.get(m.group(), "&#13;"), _NOT_XML.sub("\ufffd", value))


#: the comment that carries the checking tool's own words after an error's two messages
DIAGNOSTIC_PREFIX = "libxml2: "


def _comment(value: str) -> str:
    """``value`` as the inside of an XML comment: no ``--`` and no final ``-`` (not allowed
    there), characters XML cannot hold replaced as in text."""
    inside = _NOT_XML.sub("\ufffd", value).replace("--", "- -")
    return inside + " " if inside.endswith("-") else inside


def _attribute_value(value: str) -> str:
    # Most values (ids, codes, dates, statuses) are printable ASCII with nothing to escape:
    # they are written as they are, without two regex passes each.
    if value.isascii() and value.isprintable() and not _NEEDS_ESCAPE.intersection(value):
        return value
    return _ATTRIBUTE_RE.sub(lambda m: _ATTRIBUTE[m.group()], _NOT_XML.sub(chr(0xFFFD), value))


def _attributes(values: dict[str, str | None]) -> str:
    return "".join(f' {name}="{_attribute_value(v)}"' for name, v in values.items() if v is not None)


def local_time(moment: dt.datetime, timezone: str) -> str:
    """``2026-11-15T09:30:02+01:00``: the moment in the exchange time zone, to the second."""
    return moment.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def _error(finding: Finding, indent: str) -> Iterator[str]:
    attributes = _attributes(
        {
            "code": finding.code,
            "gravite": finding.severity.value,
            "ligne": str(finding.line) if finding.line else None,
            "colonne": str(finding.column) if finding.column else None,
            "chemin": finding.path or None,
        }
    )
    yield f"{indent}<Erreur{attributes}>\n"
    if finding.value is not None:
        yield f"{indent}  <Valeur>{_text(finding.value)}</Valeur>\n"
    yield f'{indent}  <Message langue="fr">{_text(finding.message_fr)}</Message>\n'
    yield f'{indent}  <Message langue="en">{_text(finding.message_en)}</Message>\n'
    if finding.diagnostic is not None:
        # A comment, not an element: responses stay valid against the published 1.0 schema,
        # whose Erreur holds exactly Valeur? and two Message; importers skip comments.
        yield f"{indent}  <!-- {DIAGNOSTIC_PREFIX}{_comment(finding.diagnostic)} -->\n"
    yield f"{indent}</Erreur>\n"


def iter_response(outcome: Outcome, *, processed_at: dt.datetime, timezone: str) -> Iterator[str]:
    """The response as pieces of text (see :func:`render_response`)."""
    received = outcome.received
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<Reponse xmlns="{NAMESPACE}" versionSchema="{VERSION}">\n'
    request = _attributes(
        {
            "nomFichier": received.name,
            "idFichier": outcome.id_fichier,
            "numeroSequence": str(outcome.sequence) if outcome.sequence is not None else None,
            "convention": outcome.convention,
            "sha256": received.sha256,
            "taille": str(received.size),
            "recuLe": local_time(received.received_at, timezone),
        }
    )
    yield f"  <Demande{request}/>\n"
    doublon = outcome.status == FileStatus.DOUBLON
    mode = outcome.mode.value if outcome.mode is not None and not doublon else None
    yield f"  <Traitement{_attributes({'traiteLe': local_time(processed_at, timezone), 'mode': mode})}/>\n"
    yield f"  <Statut>{outcome.status.value}</Statut>\n"
    if doublon and outcome.duplicate_of is not None:
        earlier = outcome.duplicate_of
        yield f"  <DoublonDe{_attributes({'nomFichier': earlier.name, 'recuLe': local_time(earlier.received_at, timezone)})}/>\n"
        yield "</Reponse>\n"
        return
    records = outcome.records
    if records is not None:
        accepted = len(outcome.accepted_records)
        counters = _attributes(
            {
                "enregistrementsRecus": str(len(records)),
                "enregistrementsAcceptes": str(accepted),
                "enregistrementsRejetes": str(len(records) - accepted),
                "montantRecu": f"{outcome.amount_received or 0:.2f}",
                "montantAccepte": f"{outcome.amount_accepted or 0:.2f}",
            }
        )
        yield f"  <Compteurs{counters}/>\n"
    if outcome.file_findings:
        yield "  <ErreursFichier>\n"
        for finding in outcome.file_findings:
            yield from _error(finding, "    ")
        yield "  </ErreursFichier>\n"
    if records is not None:
        yield "  <Enregistrements>\n"
        for record in records:
            attributes = _attributes({"id": record.id, "reference": record.reference, "statut": record.status.value})
            if not record.findings:
                yield f"    <Enregistrement{attributes}/>\n"
                continue
            yield f"    <Enregistrement{attributes}>\n"
            for finding in record.findings:
                yield from _error(finding, "      ")
            yield "    </Enregistrement>\n"
        yield "  </Enregistrements>\n"
    yield "</Reponse>\n"


def render_response(outcome: Outcome, *, processed_at: dt.datetime, timezone: str) -> bytes:
    """The response XML for ``outcome``, valid against schemas/response-1.0.xsd.

    ``processed_at`` becomes ``traiteLe``; times are written in ``timezone``.
    """
    buffer = io.BytesIO()  # piece by piece: no list of every piece beside the result
    for piece in iter_response(outcome, processed_at=processed_at, timezone=timezone):
        buffer.write(piece.encode("utf-8"))
    return buffer.getvalue()

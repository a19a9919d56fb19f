"""Suggesting a document's kind from its file name and its text (mail attachments).

Suggestions are only suggestions: staff confirm each kind in the review (the document's
``kind_confirmed`` flag), and an unconfirmed kind never makes a report COMPLET.
"""

from __future__ import annotations

import io
import re
import unicodedata

from gateway.intake.requirements import DocumentKind
from gateway.isolation import Isolation, IsolationError, Output, default_isolation
from gateway.logs import get_logger

log = get_logger(__name__)

#: phrases (accents removed, lower case) that point to a kind; a phrase matches whole words
KEYWORDS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.FICHE_RENSEIGNEMENT: (
        "fiche de renseignement",
        "fiche renseignement",
        "fiche",
        "renseignement",
        "renseignements",
        "information sheet",
    ),
    DocumentKind.PIECE_IDENTITE_GERANT: (
        "piece d identite",
        "piece identite",
        "carte d identite",
        "identite",
        "passeport",
        "passport",
        "identity card",
        "id card",
        "cni",
    ),
    DocumentKind.AUTORISATION_ETABLISSEMENT: (
        "autorisation d etablissement",
        "autorisation etablissement",
        "autorisation",
        "ministere de l economie",
        "authorisation",
        "authorization",
        "business permit",
    ),
    DocumentKind.ROLE_ARTISANAL: (
        "role artisanal",
        "chambre des metiers",
        "artisanal",
        "artisan",
        "craftsman",
        "craft register",
    ),
    DocumentKind.STATUTS: ("statuts", "articles of association", "acte constitutif"),
    DocumentKind.RIB: ("releve d identite bancaire", "rib", "iban", "bic", "bank details", "bank account"),
}
#: a phrase in the file name counts this many times more than one in the text
NAME_WEIGHT = 3
#: how much of a document's text is read
TEXT_PAGES = 2
TEXT_CHARS = 20000
#: the worker task that extracts text
TEXT_TASK = "gateway.intake.kinds:text_task"


def _plain(text: str) -> str:
    """Lower case, accents removed, anything but letters and digits turned into spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " " + re.sub(r"[^a-z0-9]+", " ", bare).strip() + " "


def _score(plain: str, phrases: tuple[str, ...]) -> int:
    return sum(plain.count(f" {p} ") for p in phrases)


def suggest_kind(name: str, text: str = "") -> DocumentKind | None:
    """The most likely kind for a file called ``name`` with ``text``; None when unclear."""
    plain_name, plain_text = _plain(re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)), _plain(text[:TEXT_CHARS])
    scores = {
        kind: NAME_WEIGHT * _score(plain_name, phrases) + _score(plain_text, phrases)
        for kind, phrases in KEYWORDS.items()
    }
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def pdf_text(
    data: bytes, *, pages: int = TEXT_PAGES, limit: int = TEXT_CHARS, isolation: Isolation | None = None
) -> str:
    """The text of the first ``pages`` pages of an accepted PDF ('' when it has none).

    Text extraction decodes content streams, so it runs in a worker process under the same
    reader limits as the checks and the worker's memory, CPU-time and wall-time limits; a
    suggestion is never worth failing the intake for, so any failure gives ''.
    """
    try:
        output = (isolation or default_isolation()).run(TEXT_TASK, data, pages=pages, limit=limit)
    except IsolationError as exc:
        log.info("no text for kind suggestion", error=exc.message)
        return ""
    return output.value[:limit] if isinstance(output.value, str) else ""


def text_task(data: bytes, *, pages: int, limit: int) -> Output:
    """The worker's side of :func:`pdf_text` (pypdf under the checks' reader limits)."""
    from pypdf import PdfReader

    from gateway.intake.documents import reader_limits

    try:
        with reader_limits():
            reader = PdfReader(io.BytesIO(data), strict=False)
            parts: list[str] = []
            for page in reader.pages[:pages]:
                parts.append(page.extract_text() or "")
                if sum(map(len, parts)) >= limit:
                    break
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a broken file has no text worth suggesting from
        return Output("")
    return Output("".join(parts)[:limit])

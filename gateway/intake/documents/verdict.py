"""The verdict table of spec/intake.md section 2, as one ordered tuple of checks.

Each check passes, adds a flag, or raises :class:`DocumentRefused` with its reason code; the
first refusal decides. The order is the spec's order of precedence: empty, over the size
limit, (malware, when a scanner is configured), a name ending in .htm/.html, then the content
rows (:data:`~.content.CONTENT_CHECKS`: JPEG or HTML, %PDF- not at the first byte or foreign
data after the end, then the PDF rows in table order). The content rows read the file with
C libraries, so they run in a worker process under memory, CPU-time and wall-time limits
(:mod:`gateway.isolation`); a file that exhausts those is ``pdf_trop_complexe``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.intake.documents import content
from gateway.intake.documents.content import ContentResult
from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.malware import Scanner
from gateway.intake.documents.messages import message_for
from gateway.intake.documents.model import DocumentVerdict, Flag, Reason, Verdict
from gateway.intake.documents.names import SanitisedName, sanitise_name
from gateway.intake.errors import DocumentRefused
from gateway.isolation import Isolation, WorkFailed, WorkLimitExceeded, default_isolation
from gateway.logs import get_logger
from gateway.metrics import DOCUMENTS_CHECKED

log = get_logger(__name__)

_HTML_EXTENSIONS = frozenset({".htm", ".html"})


@dataclass
class Work:
    """What the checks of one file share while they run (internal; the result is a DocumentVerdict)."""

    data: bytes
    name: SanitisedName
    max_bytes: int
    scanner: Scanner | None
    limits: PdfLimits
    isolation: Isolation
    size: int
    flags: set[Flag] = field(default_factory=set)
    detected_type: str = ""
    scanned: bool = False
    scan_result: str = ""
    content: ContentResult | None = None


def check_not_empty(w: Work) -> None:
    """fichier_vide: zero bytes."""
    if w.size == 0:
        raise DocumentRefused(Reason.FICHIER_VIDE)


def check_size(w: Work) -> None:
    """fichier_trop_volumineux: over the limit (inclusive limit: max_bytes itself is fine)."""
    if w.size > w.max_bytes:
        raise DocumentRefused(Reason.FICHIER_TROP_VOLUMINEUX, f"{w.size} > {w.max_bytes} bytes")


def check_malware(w: Work) -> None:
    """malware_detecte: the configured scanner found something (ScannerUnavailable propagates)."""
    if w.scanner is None:
        return
    result = w.scanner.scan(w.data)
    w.scanned, w.scan_result = True, result.text
    if not result.clean:
        raise DocumentRefused(Reason.MALWARE_DETECTE, result.text)


def check_name_not_html(w: Work) -> None:
    """htm_refuse: a name ending in .htm/.html is refused whatever the content."""
    if w.name.extension in _HTML_EXTENSIONS:
        raise DocumentRefused(Reason.HTM_REFUSE, "HTML file name")


def check_content(w: Work) -> None:
    """The content rows (CONTENT_CHECKS), in a worker process; its limits make a file pdf_trop_complexe."""
    try:
        output = w.isolation.run(content.TASK, w.data, limits=dataclasses.asdict(w.limits))
    except WorkLimitExceeded as exc:
        raise DocumentRefused(Reason.PDF_TROP_COMPLEXE, f"reader stopped: {exc.message}") from None
    except WorkFailed as exc:
        log.warning("document reader failed", error=exc.message)
        raise DocumentRefused(Reason.PDF_ILLISIBLE, f"reader failed: {exc.message}") from None
    w.content = result = ContentResult.from_json(output.value)
    w.flags.update(result.flags)
    w.detected_type = result.detected_type
    if result.reason is not None:
        raise DocumentRefused(result.reason, result.detail)


def check_extension(w: Work) -> None:
    """Flag extension_trompeuse: a real PDF whose name does not end in .pdf."""
    if w.name.extension != ".pdf":
        w.flags.add(Flag.EXTENSION_TROMPEUSE)


#: the verdict table, in the order of precedence; the first refusal decides
DOCUMENT_CHECKS: tuple[Callable[[Work], None], ...] = (
    check_not_empty,
    check_size,
    check_malware,
    check_name_not_html,
    check_content,  # content.CONTENT_CHECKS, in a worker process
    check_extension,
)


def run_checks(
    data: bytes,
    name: str,
    *,
    size: int,
    max_bytes: int,
    scanner: Scanner | None,
    limits: PdfLimits = DEFAULT_LIMITS,
    sha256: str | None,
    isolation: Isolation | None = None,
) -> DocumentVerdict:
    """Runs DOCUMENT_CHECKS over ``data`` (``size`` may exceed len(data) for a file on disk).

    ``isolation`` is the pool of worker processes the content checks run in (the process's
    shared pool, with default limits, when None).
    """
    sanitised = sanitise_name(name)
    w = Work(
        data=data,
        name=sanitised,
        max_bytes=max_bytes,
        scanner=scanner,
        limits=limits,
        isolation=isolation or default_isolation(),
        size=size,
    )
    if sanitised.changed:
        w.flags.add(Flag.NOM_ASSAINI)
    reason: Reason | None = None
    detail = ""
    try:
        for check in DOCUMENT_CHECKS:
            check(w)
    except DocumentRefused as refused:
        reason, detail = Reason(refused.reason), refused.message
    flags = tuple(f for f in Flag if f in w.flags)
    message = message_for(reason, flags, max_bytes=max_bytes)
    pdf = w.content
    verdict = DocumentVerdict(
        verdict=Verdict.ACCEPTED if reason is None else Verdict.REFUSED,
        reason=reason,
        flags=flags,
        detected_type=w.detected_type,
        page_count=pdf.page_count if pdf else None,
        pdf_version=pdf.pdf_version if pdf else None,
        producer=pdf.producer if pdf else None,
        sha256=sha256,
        size=size,
        display_name=sanitised.display_name,
        message_fr=message.fr,
        message_en=message.en,
        scanned=w.scanned,
        scan_result=w.scan_result,
    )
    DOCUMENTS_CHECKED.labels(verdict=str(verdict.verdict), reason=str(reason or "")).inc()
    log.debug(
        "document checked",
        verdict=str(verdict.verdict),
        reason=reason,
        detail=detail,
        flags=[str(f) for f in flags],
        size=size,
        sha256=sha256,
    )
    return verdict


def check_document(
    data: bytes,
    name: str,
    *,
    max_bytes: int,
    scanner: Scanner | None = None,
    limits: PdfLimits = DEFAULT_LIMITS,
    isolation: Isolation | None = None,
) -> DocumentVerdict:
    """The verdict of spec/intake.md section 2 for ``data`` received under ``name``.

    No database, no file system; ``name`` is only sanitised for display; the content is read
    in a worker process of ``isolation``. Raises only ScannerUnavailable (a configured scanner
    gave no answer) and WorkerUnavailable (no worker process could be had); every refusal is a
    verdict.
    """
    return run_checks(
        data,
        name,
        size=len(data),
        max_bytes=max_bytes,
        scanner=scanner,
        limits=limits,
        sha256=hashlib.sha256(data).hexdigest(),
        isolation=isolation,
    )

"""The verdict table of spec/intake.md section 2, as one ordered tuple of checks.

Each check passes, adds a flag, or raises :class:`DocumentRefused` with its reason code; the
first refusal decides. The order is the spec's order of precedence: empty, over the size
limit, (malware, when a scanner is configured), a name ending in .htm/.html, content sniffed as
JPEG or HTML, %PDF- not at the first byte or foreign data after the end, then the PDF rows in
table order. A PDF is handed to pypdf only once the raw pre-scan found it within the limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.intake.documents import sniff as sniffing
from gateway.intake.documents.active_content import scan_structure, walk_object_streams
from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.malware import Scanner
from gateway.intake.documents.messages import message_for
from gateway.intake.documents.model import DocumentVerdict, Flag, Reason, Verdict
from gateway.intake.documents.names import SanitisedName, sanitise_name
from gateway.intake.documents.pdf import OpenedPdf, open_pdf, reader_limits
from gateway.intake.documents.prescan import PreScan, prescan
from gateway.intake.errors import DocumentRefused
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
    size: int
    flags: set[Flag] = field(default_factory=set)
    detected_type: str = ""
    scanned: bool = False
    scan_result: str = ""
    pre: PreScan | None = None
    pdf: OpenedPdf | None = None


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


def check_not_jpeg_or_html(w: Work) -> None:
    """jpeg_refuse / htm_refuse by content; format_non_pdf when no PDF header is near the start."""
    found = sniffing.sniff(w.data)
    w.detected_type = found.mime
    if found.kind is sniffing.ContentKind.JPEG:
        raise DocumentRefused(Reason.JPEG_REFUSE, found.mime)
    if found.kind is sniffing.ContentKind.HTML:
        raise DocumentRefused(Reason.HTM_REFUSE, found.mime)
    if found.kind is sniffing.ContentKind.OTHER:
        raise DocumentRefused(Reason.FORMAT_NON_PDF, found.mime)


def check_pdf_bounds(w: Work) -> None:
    """format_non_pdf: %PDF- not at the first byte, or foreign data after the last %%EOF."""
    if not w.data.startswith(b"%PDF-"):
        raise DocumentRefused(Reason.FORMAT_NON_PDF, "bytes before %PDF-")
    w.detected_type = sniffing.PDF_MIME
    extra = sniffing.trailing_data(w.data)
    if extra:
        inner = sniffing.magic_mime(extra)
        raise DocumentRefused(Reason.FORMAT_NON_PDF, f"{len(extra)} bytes ({inner}) after %%EOF")


def check_complete(w: Work) -> None:
    """pdf_illisible: no %%EOF at all means the file was cut short (or is a header only)."""
    if not sniffing.has_eof_marker(w.data):
        raise DocumentRefused(Reason.PDF_ILLISIBLE, "no %%EOF: truncated")


def check_within_limits(w: Work) -> None:
    """pdf_trop_complexe: the raw pre-scan's budgets (objects, depth, decoded bytes)."""
    w.pre = prescan(w.data, w.limits)


def check_opens(w: Work) -> None:
    """pdf_illisible, pdf_chiffre, pdf_sans_page; flags pdf_repare and pdf_restrictions."""
    w.pdf = open_pdf(w.data, w.limits)
    if w.pdf.repaired:
        w.flags.add(Flag.PDF_REPARE)
    if w.pdf.restricted:
        w.flags.add(Flag.PDF_RESTRICTIONS)


def check_no_active_content(w: Work) -> None:
    """pdf_contenu_actif: JavaScript or a launch action; flag pdf_fichier_joint."""
    assert w.pre is not None and w.pdf is not None
    found = scan_structure(w.pre.structure)
    if w.pre.opaque_object_streams:
        found = found | walk_object_streams(w.pdf.reader, max_objects=w.limits.max_walked_objects,
                                            max_depth=w.limits.max_depth)
    if found.active:
        what = "JavaScript" if found.javascript else "launch action"
        raise DocumentRefused(Reason.PDF_CONTENU_ACTIF, what)
    if found.embedded_files:
        w.flags.add(Flag.PDF_FICHIER_JOINT)


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
    check_not_jpeg_or_html,
    check_pdf_bounds,
    check_complete,
    check_within_limits,
    check_opens,
    check_no_active_content,
    check_extension,
)


def run_checks(data: bytes, name: str, *, size: int, max_bytes: int, scanner: Scanner | None,
               limits: PdfLimits = DEFAULT_LIMITS, sha256: str | None) -> DocumentVerdict:
    """Runs DOCUMENT_CHECKS over ``data`` (``size`` may exceed len(data) for a file on disk)."""
    sanitised = sanitise_name(name)
    w = Work(data=data, name=sanitised, max_bytes=max_bytes, scanner=scanner, limits=limits, size=size)
    if sanitised.changed:
        w.flags.add(Flag.NOM_ASSAINI)
    reason: Reason | None = None
    detail = ""
    try:
        with reader_limits(limits):
            for check in DOCUMENT_CHECKS:
                check(w)
    except DocumentRefused as refused:
        reason, detail = Reason(refused.reason), refused.message
    flags = tuple(f for f in Flag if f in w.flags)
    message = message_for(reason, flags, max_bytes=max_bytes)
    pdf = w.pdf
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
    log.debug("document checked", verdict=str(verdict.verdict), reason=reason, detail=detail,
             flags=[str(f) for f in flags], size=size, sha256=sha256)
    return verdict


def check_document(data: bytes, name: str, *, max_bytes: int, scanner: Scanner | None = None,
                   limits: PdfLimits = DEFAULT_LIMITS) -> DocumentVerdict:
    """The verdict of spec/intake.md section 2 for ``data`` received under ``name``.

    Pure: no database, no file system; ``name`` is only sanitised for display. Raises only
    ScannerUnavailable (a configured scanner gave no answer); every refusal is a verdict.
    """
    return run_checks(data, name, size=len(data), max_bytes=max_bytes, scanner=scanner, limits=limits,
                      sha256=hashlib.sha256(data).hexdigest())

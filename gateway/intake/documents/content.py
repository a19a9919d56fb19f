"""The checks that read a document's content, run in a worker process under limits.

libmagic, zlib, pypdf and pdfium read what the applicant sent here, so this chain runs in a
worker process (:mod:`gateway.isolation`) where a memory, CPU-time or wall-time limit stops
a hostile file without stopping the gateway. Its result is a plain :class:`ContentResult`
(JSON between the processes). The order is that of spec/intake.md section 2::

    sniff     sniff.sniff              htm_refuse (content), jpeg_refuse, format_non_pdf
    bounds    sniff.trailing_data      format_non_pdf: %PDF- not first, data after %%EOF
    complete  sniff.has_eof_marker     pdf_illisible: truncated
    prescan   prescan.prescan          pdf_trop_complexe: objects, depth, tokens, decoded bytes
    open      pdf.open_pdf             pdf_illisible, pdf_chiffre, pdf_sans_page; pdf_repare, pdf_restrictions
    drawing   drawing.check_drawing_cost  pdf_trop_complexe: operators per page, forms expanded
    active    active_content, actions  pdf_contenu_actif; pdf_fichier_joint
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pypdf.errors import LimitReachedError

from gateway.intake.documents import sniff as sniffing
from gateway.intake.documents.actions import pdfium_active_content, reader_active_content
from gateway.intake.documents.active_content import scan_structure, walk_object_streams
from gateway.intake.documents.drawing import check_drawing_cost
from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.model import Flag, Reason
from gateway.intake.documents.pdf import OpenedPdf, open_pdf, reader_limits
from gateway.intake.documents.prescan import PreScan, prescan
from gateway.intake.errors import DocumentRefused
from gateway.isolation import Output

#: the worker task that runs :data:`CONTENT_CHECKS`
TASK = "gateway.intake.documents.content:check_content_task"


@dataclass(frozen=True)
class ContentResult:
    """What the content checks found; ``reason`` is None when they all passed."""

    reason: Reason | None = None
    detail: str = ""
    flags: tuple[Flag, ...] = ()
    detected_type: str = ""
    page_count: int | None = None
    pdf_version: str | None = None
    producer: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly mapping (the worker's answer)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ContentResult:
        """Reads a worker's answer back; values are checked, since a worker reads hostile files."""
        reason = value.get("reason")

        def optional(key: str, kind: type) -> Any:
            item = value.get(key)
            return item if isinstance(item, kind) else None

        return cls(
            reason=Reason(reason) if reason is not None else None,
            detail=str(value.get("detail", ""))[:500],
            flags=tuple(Flag(f) for f in value.get("flags", ())),
            detected_type=str(value.get("detected_type", ""))[:200],
            page_count=optional("page_count", int),
            pdf_version=optional("pdf_version", str),
            producer=optional("producer", str),
        )


@dataclass
class ContentWork:
    """What the content checks of one file share while they run."""

    data: bytes
    limits: PdfLimits
    flags: set[Flag] = field(default_factory=set)
    detected_type: str = ""
    pre: PreScan | None = None
    pdf: OpenedPdf | None = None


def check_not_jpeg_or_html(w: ContentWork) -> None:
    """jpeg_refuse / htm_refuse by content; format_non_pdf when no PDF header is near the start."""
    found = sniffing.sniff(w.data)
    w.detected_type = found.mime
    if found.kind is sniffing.ContentKind.JPEG:
        raise DocumentRefused(Reason.JPEG_REFUSE, found.mime)
    if found.kind is sniffing.ContentKind.HTML:
        raise DocumentRefused(Reason.HTM_REFUSE, found.mime)
    if found.kind is sniffing.ContentKind.OTHER:
        raise DocumentRefused(Reason.FORMAT_NON_PDF, found.mime)


def check_pdf_bounds(w: ContentWork) -> None:
    """format_non_pdf: %PDF- not at the first byte, or foreign data after the last %%EOF."""
    if not w.data.startswith(b"%PDF-"):
        raise DocumentRefused(Reason.FORMAT_NON_PDF, "bytes before %PDF-")
    w.detected_type = sniffing.PDF_MIME
    extra = sniffing.trailing_data(w.data)
    if extra:
        inner = sniffing.magic_mime(extra)
        raise DocumentRefused(Reason.FORMAT_NON_PDF, f"{len(extra)} bytes ({inner}) after %%EOF")


def check_complete(w: ContentWork) -> None:
    """pdf_illisible: no %%EOF at all means the file was cut short (or is a header only)."""
    if not sniffing.has_eof_marker(w.data):
        raise DocumentRefused(Reason.PDF_ILLISIBLE, "no %%EOF: truncated")


def check_within_limits(w: ContentWork) -> None:
    """pdf_trop_complexe: the raw pre-scan's budgets (objects, depth, tokens, decoded bytes)."""
    w.pre = prescan(w.data, w.limits)


def check_opens(w: ContentWork) -> None:
    """pdf_illisible, pdf_chiffre, pdf_sans_page; flags pdf_repare and pdf_restrictions."""
    w.pdf = open_pdf(w.data, w.limits)
    if w.pdf.repaired:
        w.flags.add(Flag.PDF_REPARE)
    if w.pdf.restricted:
        w.flags.add(Flag.PDF_RESTRICTIONS)


def check_drawing(w: ContentWork) -> None:
    """pdf_trop_complexe: a page whose drawing, forms and patterns expanded, runs too many operators."""
    assert w.pdf is not None
    check_drawing_cost(w.pdf.reader, w.limits)


def check_no_active_content(w: ContentWork) -> None:
    """pdf_contenu_actif when the raw text, pypdf's object tree or pdfium shows any; flag pdf_fichier_joint."""
    assert w.pre is not None and w.pdf is not None
    found = scan_structure(w.pre.structure)
    if w.pre.opaque_object_streams:
        found = found | walk_object_streams(
            w.pdf.reader, max_objects=w.limits.max_walked_objects, max_depth=w.limits.max_depth
        )
    # Every object a reader reaches holds at least one token: the pre-scan bounded those.
    found = found | reader_active_content(w.pdf.reader, max_visits=4 * w.limits.max_structure_tokens)
    found = found | pdfium_active_content(w.data)
    if found.active:
        raise DocumentRefused(Reason.PDF_CONTENU_ACTIF, found.describe())
    if found.embedded_files:
        w.flags.add(Flag.PDF_FICHIER_JOINT)


#: the content rows of the verdict table, in order; the first refusal decides
CONTENT_CHECKS: tuple[Callable[[ContentWork], None], ...] = (
    check_not_jpeg_or_html,
    check_pdf_bounds,
    check_complete,
    check_within_limits,
    check_opens,
    check_drawing,
    check_no_active_content,
)


def check_content(data: bytes, limits: PdfLimits = DEFAULT_LIMITS) -> ContentResult:
    """Runs CONTENT_CHECKS in this process (the worker calls it; so do the memory probes)."""
    w = ContentWork(data=data, limits=limits)
    reason: Reason | None = None
    detail = ""
    try:
        with reader_limits(limits):
            for check in CONTENT_CHECKS:
                check(w)
    except DocumentRefused as refused:
        reason, detail = Reason(refused.reason), refused.message
    except (LimitReachedError, RecursionError) as exc:  # pypdf's limits, met after opening
        reason, detail = Reason.PDF_TROP_COMPLEXE, f"reader limit: {type(exc).__name__}"
    pdf = w.pdf
    return ContentResult(
        reason=reason,
        detail=detail,
        flags=tuple(f for f in Flag if f in w.flags),
        detected_type=w.detected_type,
        page_count=pdf.page_count if pdf else None,
        pdf_version=pdf.pdf_version if pdf else None,
        producer=pdf.producer if pdf else None,
    )


def check_content_task(data: bytes, *, limits: dict[str, int]) -> Output:
    """The worker's entry point: :func:`check_content` with limits given as a mapping."""
    return Output(check_content(data, PdfLimits(**limits)).to_json())


def warm_up() -> None:
    """Runs the checks once on a tiny PDF, so that a new worker's first document does not pay
    for lazy library setup (libmagic's database, pdfium's initialisation)."""
    body = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, text in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    check_content(bytes(out))

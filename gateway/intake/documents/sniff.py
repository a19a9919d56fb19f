"""What the bytes are, whatever the name says: libmagic plus our own signatures.

libmagic names the type for the report; our own signatures decide the refusals that must not
depend on libmagic's database: a JPEG start, HTML markup near the start (also after a
``%PDF-`` line), ``%PDF-`` not at the first byte, and foreign data after the PDF's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import magic

#: bytes libmagic looks at (its own rules rarely need more)
MAGIC_BYTES = 64 * 1024
#: "near the start": HTML markup within this many bytes refuses the file, like a browser's sniffing
HTML_WINDOW = 1024
#: how far a stray %PDF- header is looked for (readers accept one within the first KiB)
PDF_HEADER_WINDOW = 1024

PDF_MIME = "application/pdf"

_HTML_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|meta|title|frameset|object|embed)[\s/>]"
    rb"|<\?xml[^>]*>\s*<!doctype\s+html"
    rb"|http://www\.w3\.org/1999/xhtml",
    re.IGNORECASE,
)
_HTML_MIMES = frozenset({"text/html", "application/xhtml+xml"})
_JPEG_MIMES = frozenset({"image/jpeg", "image/pjpeg", "image/jpg"})
_EOF_MARK = b"%%EOF"
# ZIP's end-of-central-directory record sits within 22 + 65535 bytes of the end.
_ZIP_END = b"PK\x05\x06"
_ZIP_END_WINDOW = 22 + 65535
# After the last %%EOF only line ends, spaces and NUL padding are tolerated.
_TRAILER_JUNK_OK = re.compile(rb"[\x00\t\n\f\r ]*\Z")


class ContentKind(StrEnum):
    """What the sniffing decided, before any PDF reading."""

    JPEG = "jpeg"
    HTML = "html"
    PDF = "pdf"
    OTHER = "other"


@dataclass(frozen=True)
class Sniffed:
    """The sniffing result: the kind, libmagic's MIME type, and where %PDF- sits (-1: nowhere)."""

    kind: ContentKind
    mime: str
    pdf_header_at: int


def magic_mime(data: bytes) -> str:
    """libmagic's MIME type of the first bytes of ``data`` ('' when it cannot tell)."""
    try:
        return magic.from_buffer(data[:MAGIC_BYTES], mime=True) or ""
    except magic.MagicException:  # pragma: no cover - a broken magic database
        return ""


def sniff(data: bytes) -> Sniffed:
    """Decides JPEG / HTML / PDF / other from the content only."""
    mime = magic_mime(data)
    header_at = data.find(b"%PDF-", 0, PDF_HEADER_WINDOW + 5)
    if data.startswith(b"\xff\xd8\xff") or mime in _JPEG_MIMES:
        return Sniffed(ContentKind.JPEG, mime or "image/jpeg", header_at)
    if mime in _HTML_MIMES or _HTML_MARKUP.search(data, 0, HTML_WINDOW):
        return Sniffed(ContentKind.HTML, mime if mime in _HTML_MIMES else "text/html", header_at)
    if header_at >= 0:
        return Sniffed(ContentKind.PDF, PDF_MIME if header_at == 0 else (mime or PDF_MIME), header_at)
    return Sniffed(ContentKind.OTHER, mime or "application/octet-stream", header_at)


def trailing_data(data: bytes) -> bytes:
    """What follows the last ``%%EOF`` besides white space ('' when nothing).

    Without any ``%%EOF`` (a cut-short file) only an archive's end record near the end counts:
    a ZIP appended to a truncated PDF is still a polyglot, not merely an unreadable PDF.
    """
    end = data.rfind(_EOF_MARK)
    if end < 0:
        at = data.rfind(_ZIP_END, max(0, len(data) - _ZIP_END_WINDOW))
        return data[at:] if at >= 0 else b""
    rest = data[end + len(_EOF_MARK) :]
    return b"" if _TRAILER_JUNK_OK.match(rest) else rest


def has_eof_marker(data: bytes) -> bool:
    """True when the file holds a ``%%EOF`` (a PDF without one was cut short)."""
    return data.rfind(_EOF_MARK) >= 0

"""The reader's resource limits: what makes a PDF ``pdf_trop_complexe``.

Legitimate application documents (scans, office exports, forms) stay far below every limit;
the limits exist so that a hostile file is refused quickly and in bounded memory before, and
while, pypdf reads it, and before pdfium draws it. (The worker process that does this work
has limits of its own: :class:`gateway.isolation.WorkLimits`.)
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class PdfLimits:
    """Budgets of one document check; the defaults suit files up to the 20 MiB size limit."""

    #: objects in the file (``endobj`` markers, object-stream entries, declared /Size)
    max_objects: int = 100_000
    #: arrays and dictionaries nested in one object (pypdf parses them recursively)
    max_depth: int = 100
    #: bytes all decoded streams of the file may add up to (FlateDecode, ASCIIHex, ASCII85),
    #: images excepted: content, fonts and object streams of real documents stay far below
    max_decompressed_bytes: int = 64 * MIB
    #: pixels one image may declare (width x height); A4 scanned at 600 dpi is 35 million
    max_image_pixels: int = 150_000_000
    #: ASCII85 input decoded in the pre-scan (a pure-Python decoder: bounded to stay fast)
    max_ascii85_bytes: int = 2 * MIB
    #: objects pypdf reads out of object streams the pre-scan could not decode (encrypted ones)
    max_walked_objects: int = 20_000
    #: bytes of decoded object streams kept for the active-content search
    max_object_stream_bytes: int = 16 * MIB
    #: tokens outside streams, decoded object streams included: real files have about 100 a
    #: page; pypdf parses a few microseconds each, so this also bounds its time
    max_structure_tokens: int = 100_000
    #: ``#xx`` escapes in names outside streams (real files use a handful, e.g. ``/Times#20Roman``)
    max_name_escapes: int = 200_000
    #: largest output pypdf may produce decoding one stream (its own per-filter limits)
    max_stream_output_bytes: int = 32 * MIB
    #: items in one array or dictionary pypdf parses (a flat page tree of max_pages fits)
    max_array_items: int = 20_000
    #: operands and operators pypdf parses in one content stream (text extraction)
    max_content_tokens: int = 500_000
    #: pages in the page tree
    max_pages: int = 10_000
    #: operators a renderer runs for one page, Form XObjects, patterns, soft masks, Type 3
    #: glyphs and annotation appearances expanded each time they are drawn (text-heavy pages
    #: run a few thousand, detailed plans a few hundred thousand)
    max_page_drawing_operators: int = 1_000_000


DEFAULT_LIMITS = PdfLimits()

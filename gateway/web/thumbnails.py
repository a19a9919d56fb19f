"""First-page thumbnails of accepted documents, rendered with pdfium in a worker process.

Only documents the checks accepted are rendered (a refused file is never handed to a PDF
engine here). Drawing a page can cost far more than its file size suggests (forms that draw
each other many times over), so pdfium runs in a worker process of :mod:`gateway.isolation`
under its memory, CPU-time and wall-time limits: a page that exhausts them gets
:func:`placeholder_png` instead of a thumbnail, and the gateway does not notice. The PNG is
small and made fresh on each request; nothing is cached on disk, so retention has nothing
more to delete.
"""

from __future__ import annotations

import functools
import struct
import zlib

from gateway.isolation import Isolation, IsolationError, Output, default_isolation

#: width of a thumbnail in pixels
WIDTH = 240
#: tallest thumbnail: a page many times taller than wide is scaled down to this height
MAX_HEIGHT = 800
#: the worker task that renders a first page
TASK = "gateway.web.thumbnails:render_task"


class ThumbnailError(Exception):
    """The first page could not be rendered (unreadable, or over the worker's limits)."""


def first_page_png(data: bytes, width: int = WIDTH, *, isolation: Isolation | None = None) -> bytes:
    """A PNG of the first page, ``width`` pixels wide, rendered in a worker; raises :class:`ThumbnailError`."""
    try:
        output = (isolation or default_isolation()).run(TASK, data, width=width)
    except IsolationError as exc:
        raise ThumbnailError(exc.message) from None
    value = output.value if isinstance(output.value, dict) else {}
    if value.get("error"):
        raise ThumbnailError(str(value["error"])[:300])
    if not output.payload.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ThumbnailError("the renderer returned no PNG")
    return output.payload


def render_task(data: bytes, *, width: int = WIDTH) -> Output:
    """The worker's side: renders with pdfium; an unreadable file is an error value, not an exception."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return Output({"error": str(exc)})
    try:
        if len(pdf) == 0:
            return Output({"error": "no page"})
        page = pdf[0]
        page_width, page_height = page.get_width() or 1, page.get_height() or 1
        scale = max(0.01, min(4.0, width / page_width, MAX_HEIGHT / page_height))
        bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
        pixels = (bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels, bytes(bitmap.buffer))
        page.close()
    except pdfium.PdfiumError as exc:
        return Output({"error": str(exc)})
    finally:
        pdf.close()
    return Output({"width": pixels[0], "height": pixels[1]}, encode_png(*pixels))


@functools.cache
def placeholder_png(width: int = WIDTH) -> bytes:
    """What staff see when a page cannot be previewed: a grey page with a darker frame."""
    height = round(width * 297 / 210)
    light, dark = b"\xe6\xe6\xe6", b"\x9a\x9a\x9a"
    border = 3
    edge_row = dark * width
    inner_row = dark * border + light * (width - 2 * border) + dark * border
    rows = [edge_row if y < border or y >= height - border else inner_row for y in range(height)]
    return encode_png(width, height, width * 3, 3, b"".join(rows))


def encode_png(width: int, height: int, stride: int, channels: int, buffer: bytes) -> bytes:
    """A PNG of an RGB (3 channels) or RGBA (4) buffer, rows ``stride`` bytes apart."""
    if channels not in (3, 4):
        raise ThumbnailError(f"unexpected bitmap with {channels} channels")
    row = width * channels
    raw = b"".join(b"\x00" + buffer[y * stride : y * stride + row] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")

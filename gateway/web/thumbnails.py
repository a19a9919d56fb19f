"""First-page thumbnails of accepted documents, rendered on the server with pdfium.

Only documents the checks accepted are rendered (a refused file is never handed to a PDF
engine here). The PNG is small and made fresh on each request; nothing is cached on disk,
so retention has nothing more to delete.
"""

from __future__ import annotations

import struct
import threading
import zlib

import pypdfium2 as pdfium

#: width of a thumbnail in pixels
WIDTH = 240
#: tallest thumbnail: a page many times taller than wide is scaled down to this height
MAX_HEIGHT = 800
# pdfium is not thread-safe: one rendering at a time in this process.
_LOCK = threading.Lock()


class ThumbnailError(Exception):
    """The first page could not be rendered."""


def first_page_png(data: bytes, width: int = WIDTH) -> bytes:
    """A PNG of the first page, ``width`` pixels wide; raises :class:`ThumbnailError`."""
    with _LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise ThumbnailError(str(exc)) from exc
        try:
            if len(pdf) == 0:
                raise ThumbnailError("no page")
            page = pdf[0]
            page_width, page_height = page.get_width() or 1, page.get_height() or 1
            scale = max(0.01, min(4.0, width / page_width, MAX_HEIGHT / page_height))
            bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
            pixels = (bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels, bytes(bitmap.buffer))
            page.close()
        except pdfium.PdfiumError as exc:
            raise ThumbnailError(str(exc)) from exc
        finally:
            pdf.close()
    return encode_png(*pixels)


def encode_png(width: int, height: int, stride: int, channels: int, buffer: bytes) -> bytes:
    """A PNG of an RGB (3 channels) or RGBA (4) buffer, rows ``stride`` bytes apart."""
    if channels not in (3, 4):
        raise ThumbnailError(f"unexpected bitmap with {channels} channels")
    row = width * channels
    raw = b"".join(b"\x00" + buffer[y * stride:y * stride + row] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")

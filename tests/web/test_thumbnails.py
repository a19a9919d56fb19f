"""First-page previews: real PDFs of odd shapes give small PNGs; broken input is an error."""

from __future__ import annotations

import struct

import pytest
from fpdf import FPDF

from gateway.web.thumbnails import MAX_HEIGHT, WIDTH, ThumbnailError, first_page_png


def _pdf(width_mm: float, height_mm: float) -> bytes:
    document = FPDF(format=(width_mm, height_mm))
    document.add_page()
    return bytes(document.output())


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("width_mm,height_mm,expected_width", [
    pytest.param(210, 297, WIDTH, id="a4"),
    pytest.param(30, 20, WIDTH, id="tiny-page-scaled-up"),
    pytest.param(200, 5000, None, id="very-tall-page-bounded"),
])
def test_preview_sizes(width_mm, height_mm, expected_width):
    width, height = _size(first_page_png(_pdf(width_mm, height_mm)))
    assert height <= MAX_HEIGHT + 1
    if expected_width:
        assert abs(width - expected_width) <= 2


@pytest.mark.parametrize("data", [pytest.param(b"", id="empty"), pytest.param(b"%PDF-1.4\n%%EOF", id="no-pages"),
                                  pytest.param(b"not a pdf at all", id="garbage")])
def test_unreadable_input_is_an_error(data):
    with pytest.raises(ThumbnailError):
        first_page_png(data)

"""The raw pre-scan: each budget refuses exactly when exceeded; escaped names are decoded."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.intake.documents import DEFAULT_LIMITS, PdfLimits, Reason, check_document
from gateway.intake.documents.active_content import scan_structure, walk_object_streams
from gateway.intake.documents.prescan import prescan, unescape_names
from gateway.intake.errors import DocumentRefused
from tests.intake.documents import samples as s

LIMIT = 20 * 1024 * 1024


def limits(**changes: int) -> PdfLimits:
    return dataclasses.replace(DEFAULT_LIMITS, **changes)


@pytest.mark.parametrize(
    ("data", "within", "over"),
    [
        pytest.param(s.deep_nesting(20), limits(max_depth=21), limits(max_depth=20), id="depth"),
        pytest.param(s.million_objects(50), limits(max_objects=60), limits(max_objects=50), id="objects"),
        pytest.param(
            s.object_stream_claiming(50), limits(max_objects=60), limits(max_objects=54), id="object-stream-entries"
        ),
        pytest.param(
            s.decompression_bomb(2),
            limits(max_decompressed_bytes=3 << 20),
            limits(max_decompressed_bytes=(2 << 20) - 1),
            id="decoded-bytes",
        ),
        pytest.param(
            s.huge_image_pdf(), limits(max_image_pixels=10**10), limits(max_image_pixels=10**10 - 1), id="image-pixels"
        ),
        pytest.param(
            s.reportlab_pdf(3), limits(max_ascii85_bytes=1 << 20), limits(max_ascii85_bytes=100), id="ascii85-input"
        ),
        pytest.param(
            s.hidden_javascript_in_object_stream(True),
            limits(max_walked_objects=1),
            limits(max_walked_objects=0),
            id="walked-objects",
        ),
    ],
)
def test_budget_refuses_only_when_exceeded(data: bytes, within: PdfLimits, over: PdfLimits) -> None:
    assert check_document(data, "x.pdf", max_bytes=LIMIT, limits=within).reason is not Reason.PDF_TROP_COMPLEXE
    assert check_document(data, "x.pdf", max_bytes=LIMIT, limits=over).reason is Reason.PDF_TROP_COMPLEXE


def test_nesting_inside_strings_is_not_counted() -> None:
    text = b"(" + b"[" * 500 + b")"
    pdf = s.one_page(b"/Title " + text + b" ").build()
    assert check_document(pdf, "x.pdf", max_bytes=LIMIT).accepted


def test_depth_is_counted_per_object() -> None:
    # 300 objects each nesting 10 deep: many openers in the file, none too deep.
    pdf = s.one_page()
    for _ in range(300):
        pdf.add(b"[" * 10 + b"]" * 10)
    assert check_document(pdf.build(), "x.pdf", max_bytes=LIMIT).accepted


def test_unescape_names() -> None:
    assert unescape_names(b"/J#61vaScript /#4A#53") == b"/JavaScript /JS"


def test_names_in_strings_are_not_active_content() -> None:
    pdf = s.one_page(b"/Title (see /JavaScript and /Launch) ").build()
    found = scan_structure(prescan(pdf, DEFAULT_LIMITS).structure)
    assert not found.active


def test_prescan_reads_into_object_streams() -> None:
    result = prescan(s.hidden_javascript_in_object_stream(), DEFAULT_LIMITS)
    assert not result.opaque_object_streams
    assert scan_structure(result.structure).javascript


def test_object_stream_the_prescan_cannot_decode_is_walked_by_the_reader() -> None:
    import io

    from pypdf import PdfReader

    data = s.hidden_javascript_in_object_stream(run_length_filter=True)
    result = prescan(data, DEFAULT_LIMITS)
    assert result.opaque_object_streams and not scan_structure(result.structure).javascript
    found = walk_object_streams(PdfReader(io.BytesIO(data)), max_objects=1000, max_depth=50)
    assert found.javascript and not found.launch
    with pytest.raises(DocumentRefused):
        walk_object_streams(PdfReader(io.BytesIO(data)), max_objects=0, max_depth=50)


def test_names_of_an_encrypted_file_are_read_in_the_raw_text() -> None:
    result = prescan(s.encrypted_javascript_pdf(), DEFAULT_LIMITS)
    assert result.encrypted and scan_structure(result.structure).javascript


def test_refusal_carries_the_reason_code() -> None:
    with pytest.raises(DocumentRefused) as raised:
        prescan(s.deep_nesting(200), DEFAULT_LIMITS)
    assert raised.value.code == "pdf_trop_complexe"

"""Drawing cost: pages whose forms, patterns or glyphs draw each other many times over are too complex."""

from __future__ import annotations

import dataclasses
import time

import pytest

from gateway.intake.documents import DEFAULT_LIMITS, PdfLimits, Reason, check_document
from tests.intake.documents import samples as s

LIMIT = 20 * 1024 * 1024


def limits(**changes: int) -> PdfLimits:
    return dataclasses.replace(DEFAULT_LIMITS, **changes)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: s.fanout_forms(11), id="forms-4x-11-deep"),
        pytest.param(lambda: s.fanout_forms(12), id="forms-4x-12-deep"),
        pytest.param(lambda: s.fanout_patterns(11), id="patterns-4x-11-deep"),
        pytest.param(lambda: s.type3_fanout(100), id="type3-glyph-drawing-forms"),
        pytest.param(s.self_drawing_form, id="form-drawing-itself"),
    ],
)
def test_costly_drawing_is_refused_at_check_time(make) -> None:
    data = make()
    assert len(data) < 5000  # a few KiB that would cost a renderer gigabytes
    started = time.monotonic()
    result = check_document(data, "plan.pdf", max_bytes=LIMIT)
    assert (result.verdict, result.reason) == ("refused", Reason.PDF_TROP_COMPLEXE)
    # Never rendered: the cost is computed once per form. Generous bound for a loaded machine.
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: s.fanout_forms(9), id="forms-4x-9-deep"),
        pytest.param(lambda: s.type3_fanout(10), id="type3-ten-glyphs"),
        pytest.param(lambda: s.fpdf_pdf(50), id="fpdf-50-pages"),
    ],
)
def test_dear_but_bounded_pages_are_accepted(make) -> None:
    assert check_document(make(), "plan.pdf", max_bytes=LIMIT).accepted


def test_operator_budget_refuses_only_when_exceeded() -> None:
    # Page "/X0 Do" (1) + form 0 "q /X Do Q" x4 (12) + 4 x form 1 "0 0 m 10 10 l S" (3): 25 operators.
    data = s.fanout_forms(2)
    assert check_document(data, "x.pdf", max_bytes=LIMIT, limits=limits(max_page_drawing_operators=25)).accepted
    over = check_document(data, "x.pdf", max_bytes=LIMIT, limits=limits(max_page_drawing_operators=24))
    assert over.reason is Reason.PDF_TROP_COMPLEXE


def test_forms_nested_deeper_than_the_limit_are_refused() -> None:
    data = s.fanout_forms(8, fan=1)
    assert check_document(data, "x.pdf", max_bytes=LIMIT, limits=limits(max_depth=20)).accepted
    assert check_document(data, "x.pdf", max_bytes=LIMIT, limits=limits(max_depth=5)).reason is Reason.PDF_TROP_COMPLEXE


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(s.huge_image_indirect_size, id="indirect-width-and-height"),
        pytest.param(lambda: s.huge_image_indirect_size(in_object_stream=True), id="sizes-inside-an-object-stream"),
    ],
)
def test_image_size_given_indirectly_is_bounded(make) -> None:
    result = check_document(make(), "scan.pdf", max_bytes=LIMIT)
    assert (result.verdict, result.reason) == ("refused", Reason.PDF_TROP_COMPLEXE)
    assert check_document(make(), "scan.pdf", max_bytes=LIMIT, limits=limits(max_image_pixels=10**10)).accepted

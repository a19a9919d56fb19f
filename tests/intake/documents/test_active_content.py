"""pdf_contenu_actif however the file hides it; harmless look-alikes and attachments stay accepted."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pypdf import PdfReader

from gateway.intake.documents import DEFAULT_LIMITS, Flag, Reason, check_document
from gateway.intake.documents.actions import pdfium_active_content, reader_active_content
from gateway.intake.documents.active_content import scan_structure
from gateway.intake.documents.prescan import prescan
from tests.intake.documents import active_samples as a
from tests.intake.documents import samples as s

LIMIT = 20 * 1024 * 1024

HIDDEN = [
    pytest.param(lambda make=make, style=style: make(style), id=name)
    for name, (make, style) in a.COMMENT_WRAPPED.items()
]
OTHER_ACTIONS = [pytest.param(make, id=name) for name, make in a.ACTIVE.items()]


@pytest.mark.parametrize("make", HIDDEN + OTHER_ACTIONS)
def test_active_content_is_refused(make: Callable[[], bytes]) -> None:
    result = check_document(make(), "x.pdf", max_bytes=LIMIT)
    assert (result.verdict, result.reason) == ("refused", Reason.PDF_CONTENU_ACTIF)
    assert "contenu actif" in result.message_fr and "active content" in result.message_en


@pytest.mark.parametrize("make", HIDDEN + OTHER_ACTIONS)
def test_the_readers_find_it_whatever_the_prescan_says(make: Callable[[], bytes]) -> None:
    # The oracle alone (pypdf's object tree, then pdfium) must see every sample.
    data = make()
    found = reader_active_content(PdfReader(io.BytesIO(data)), max_visits=10_000) | pdfium_active_content(data)
    assert found.active, found


def test_an_object_hidden_inside_another_stream_escapes_the_prescan_but_not_the_reader() -> None:
    data = a.action_inside_another_stream()
    assert not scan_structure(prescan(data, DEFAULT_LIMITS).structure).active
    assert check_document(data, "x.pdf", max_bytes=LIMIT).reason is Reason.PDF_CONTENU_ACTIF


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(s.fpdf_pdf, id="plain"),
        pytest.param(a.javascript_mentioned_in_text, id="javascript-and-percent-in-strings"),
        pytest.param(a.xfa_without_script, id="xfa-without-script"),
    ],
)
def test_harmless_documents_stay_accepted(make: Callable[[], bytes]) -> None:
    result = check_document(make(), "x.pdf", max_bytes=LIMIT)
    assert (result.verdict, result.reason, result.flags) == ("accepted", None, ())


def test_hidden_embedded_file_is_accepted_and_flagged() -> None:
    result = check_document(a.hidden_embedded_file(), "x.pdf", max_bytes=LIMIT)
    assert (result.verdict, result.reason, result.flags) == ("accepted", None, (Flag.PDF_FICHIER_JOINT,))


def test_the_refusal_says_what_was_found() -> None:
    from gateway.intake.documents.content import check_content

    assert check_content(a.gotor_unc()).detail == "link to another document"
    assert check_content(a.xfa_with_script()).detail == "XFA script"
    assert check_content(a.launch_cmd("paren")).detail == "launch action"

"""Every row of the verdict table (spec/intake.md section 2) with real files, and its order."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.intake.documents import DocumentVerdict, Flag, Reason, Verdict, check_document
from tests.intake.documents import samples as s
from tests.support import missing_tool

LIMIT = 20 * 1024 * 1024

A, R = Verdict.ACCEPTED, Verdict.REFUSED


def case(
    make: Callable[[], bytes], name: str, verdict: Verdict, reason: Reason | None, flags: tuple[Flag, ...], id: str
) -> object:
    return pytest.param(make, name, verdict, reason, flags, id=id)


CASES = [
    # accepted PDFs of several producers and versions
    case(s.fpdf_pdf, "fiche.pdf", A, None, (), "fpdf2"),
    case(lambda: s.reportlab_pdf(3), "statuts.PDF", A, None, (), "reportlab-3-pages-upper-case-name"),
    case(lambda: s.pypdf_pdf("1.4"), "rib.pdf", A, None, (), "pypdf-1.4"),
    case(lambda: s.pypdf_pdf("1.7"), "rib.pdf", A, None, (), "pypdf-1.7"),
    case(lambda: s.pypdf_pdf("2.0"), "rib.pdf", A, None, (), "pypdf-2.0"),
    case(s.image_scan_pdf, "scan.pdf", A, None, (), "pillow-scan"),
    case(s.cairo_pdf, "fiche.pdf", A, None, (), "pdftocairo-1.5"),
    case(s.chromium_pdf, "fiche.pdf", A, None, (), "chromium-print"),
    case(s.incremental_update_pdf, "maj.pdf", A, None, (), "incremental-update"),
    case(lambda: s.one_page().build(), "minimal.pdf", A, None, (), "hand-written-minimal"),
    # not PDF at all
    case(s.jpeg_bytes, "photo.jpg", R, Reason.JPEG_REFUSE, (), "jpeg-named-jpg"),
    case(s.jpeg_bytes, "photo.pdf", R, Reason.JPEG_REFUSE, (), "jpeg-named-pdf"),
    case(s.jpeg_hiding_pdf, "photo.pdf", R, Reason.JPEG_REFUSE, (), "jpeg-hiding-pdf"),
    case(lambda: s.HTML, "page.htm", R, Reason.HTM_REFUSE, (), "html-named-htm"),
    case(lambda: s.HTML, "page.pdf", R, Reason.HTM_REFUSE, (), "html-named-pdf"),
    case(lambda: s.XHTML, "page.pdf", R, Reason.HTM_REFUSE, (), "xhtml-named-pdf"),
    case(s.html_with_pdf_line, "page.pdf", R, Reason.HTM_REFUSE, (), "html-with-pdf-line"),
    case(s.html_comment_pdf, "page.pdf", R, Reason.HTM_REFUSE, (), "html-with-pdf-comment"),
    case(s.pdf_then_html, "doc.pdf", R, Reason.HTM_REFUSE, (), "pdf-html-polyglot"),
    case(s.fpdf_pdf, "doc.html", R, Reason.HTM_REFUSE, (), "real-pdf-named-html"),
    case(s.png_bytes, "scan.pdf", R, Reason.FORMAT_NON_PDF, (), "png"),
    case(
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n',
        "logo.pdf",
        R,
        Reason.FORMAT_NON_PDF,
        (),
        "svg-image",
    ),
    case(
        lambda: s.fpdf_pdf().replace(b"%PDF-1.3", b"%PDF-1.3\n<html>", 1),
        "x.pdf",
        R,
        Reason.HTM_REFUSE,
        (),
        "html-tag-after-header",
    ),
    case(s.zip_bytes, "docs.pdf", R, Reason.FORMAT_NON_PDF, (), "zip"),
    case(lambda: b"Fiche de renseignement\n", "fiche.pdf", R, Reason.FORMAT_NON_PDF, (), "text"),
    case(lambda: b"\r\n" + s.fpdf_pdf(), "doc.pdf", R, Reason.FORMAT_NON_PDF, (), "bytes-before-header"),
    case(s.pdf_zip_polyglot, "doc.pdf", R, Reason.FORMAT_NON_PDF, (), "zip-appended-after-eof"),
    case(lambda: s.fpdf_pdf() + s.jpeg_bytes(), "doc.pdf", R, Reason.FORMAT_NON_PDF, (), "jpeg-appended-after-eof"),
    # size
    case(lambda: b"", "vide.pdf", R, Reason.FICHIER_VIDE, (), "empty"),
    # broken PDFs
    case(lambda: s.fpdf_pdf()[:600], "coupe.pdf", R, Reason.PDF_ILLISIBLE, (), "truncated"),
    case(lambda: b"%PDF-1.7\n", "entete.pdf", R, Reason.PDF_ILLISIBLE, (), "header-only"),
    case(lambda: b"%PDF-1.7\n" + b"garbage " * 40 + b"\n%%EOF\n", "x.pdf", R, Reason.PDF_ILLISIBLE, (), "garbage-body"),
    case(s.wrong_xref_offsets, "repare.pdf", A, None, (Flag.PDF_REPARE,), "wrong-xref-offsets"),
    case(lambda: s.encrypted_pdf("user", "owner"), "secret.pdf", R, Reason.PDF_CHIFFRE, (), "user-password-aes"),
    case(
        lambda: s.encrypted_pdf("user", "owner", "RC4-128"),
        "secret.pdf",
        R,
        Reason.PDF_CHIFFRE,
        (),
        "user-password-rc4",
    ),
    case(
        lambda: s.encrypted_pdf("", "owner"), "restreint.pdf", A, None, (Flag.PDF_RESTRICTIONS,), "owner-password-only"
    ),
    case(s.zero_page_pdf, "vide.pdf", R, Reason.PDF_SANS_PAGE, (), "zero-pages"),
    # active content and attachments
    case(s.javascript_pdf, "js.pdf", R, Reason.PDF_CONTENU_ACTIF, (), "javascript-open-action"),
    case(s.raw_javascript_pdf, "js.pdf", R, Reason.PDF_CONTENU_ACTIF, (), "javascript-plain-names"),
    case(
        lambda: s.raw_javascript_pdf(b"/J#61vaScript", b"/J#53"),
        "js.pdf",
        R,
        Reason.PDF_CONTENU_ACTIF,
        (),
        "javascript-escaped-names",
    ),
    case(
        lambda: s.raw_javascript_pdf(b"/#4A#61#76#61#53#63#72#69#70#74", b"/#4a#53"),
        "js.pdf",
        R,
        Reason.PDF_CONTENU_ACTIF,
        (),
        "javascript-fully-escaped",
    ),
    case(
        s.hidden_javascript_in_object_stream, "js.pdf", R, Reason.PDF_CONTENU_ACTIF, (), "javascript-in-object-stream"
    ),
    case(
        lambda: s.hidden_javascript_in_object_stream(run_length_filter=True),
        "js.pdf",
        R,
        Reason.PDF_CONTENU_ACTIF,
        (),
        "javascript-in-run-length-object-stream",
    ),
    case(
        s.encrypted_javascript_pdf,
        "js.pdf",
        R,
        Reason.PDF_CONTENU_ACTIF,
        (Flag.PDF_RESTRICTIONS,),
        "javascript-in-encrypted-file",
    ),
    case(s.launch_pdf, "launch.pdf", R, Reason.PDF_CONTENU_ACTIF, (), "launch-action"),
    case(s.attachment_pdf, "joint.pdf", A, None, (Flag.PDF_FICHIER_JOINT,), "embedded-file"),
    # names
    case(s.fpdf_pdf, "fiche.txt", A, None, (Flag.EXTENSION_TROMPEUSE,), "pdf-named-txt"),
    case(s.fpdf_pdf, "fiche", A, None, (Flag.EXTENSION_TROMPEUSE,), "pdf-without-extension"),
    case(s.fpdf_pdf, "C:\\Users\\Anne\\fiche.pdf", A, None, (Flag.NOM_ASSAINI,), "windows-path-name"),
    case(s.fpdf_pdf, "fiche\u202efdp.exe", A, None, (Flag.EXTENSION_TROMPEUSE, Flag.NOM_ASSAINI), "bidi-override-name"),
    # hostile
    case(s.deep_nesting, "deep.pdf", R, Reason.PDF_TROP_COMPLEXE, (), "deep-nesting"),
    case(s.object_stream_claiming, "objstm.pdf", R, Reason.PDF_TROP_COMPLEXE, (), "object-stream-million-objects"),
    case(s.decompression_bomb, "bomb.pdf", R, Reason.PDF_TROP_COMPLEXE, (), "decompression-bomb"),
    case(s.chained_filter_bomb, "bomb.pdf", R, Reason.PDF_TROP_COMPLEXE, (), "chained-flate-bomb"),
    case(s.huge_image_pdf, "image.pdf", R, Reason.PDF_TROP_COMPLEXE, (), "huge-declared-image"),
]


@pytest.mark.parametrize(("make", "name", "verdict", "reason", "flags"), CASES)
def test_verdict_table(
    make: Callable[[], bytes], name: str, verdict: Verdict, reason: Reason | None, flags: tuple[Flag, ...]
) -> None:
    try:
        data = make()
    except FileNotFoundError as missing:
        missing_tool(f"{missing} is not installed")
    result = check_document(data, name, max_bytes=LIMIT)
    assert (result.verdict, result.reason, result.flags) == (verdict, reason, flags)


def test_million_plain_objects_refused() -> None:
    # About 40 MB: the limit is raised so that the object count, not the size, decides.
    result = check_document(s.million_objects(), "objets.pdf", max_bytes=64 * 1024 * 1024)
    assert (result.verdict, result.reason) == (R, Reason.PDF_TROP_COMPLEXE)


def test_accepted_pdf_reports_what_the_intake_report_shows() -> None:
    data = s.pypdf_pdf("1.7", pages=2)
    result = check_document(data, "rib.pdf", max_bytes=LIMIT)
    assert result.accepted
    assert result.detected_type == "application/pdf"
    assert (result.page_count, result.pdf_version, result.producer) == (2, "1.7", "pypdf test 1.7")
    assert result.size == len(data)
    assert len(result.sha256 or "") == 64
    assert result.display_name == "rib.pdf"
    assert (result.scanned, result.scan_result) == (False, "")
    assert result.message_en == "Document accepted."


def test_refused_jpeg_says_what_to_do_in_both_languages() -> None:
    result = check_document(s.jpeg_bytes(), "photo.pdf", max_bytes=LIMIT)
    assert result.detected_type == "image/jpeg"
    assert result.message_en == "JPEG files are not accepted. Please scan the document to PDF and send it again."
    assert "JPEG" in result.message_fr and "PDF" in result.message_fr


@pytest.mark.parametrize(
    ("data", "name", "max_bytes", "reason"),
    [
        pytest.param(b"", "page.htm", LIMIT, Reason.FICHIER_VIDE, id="empty-before-html-name"),
        pytest.param(s.HTML * 4, "page.htm", 100, Reason.FICHIER_TROP_VOLUMINEUX, id="size-before-html-name"),
        pytest.param(s.jpeg_bytes(), "photo.html", LIMIT, Reason.HTM_REFUSE, id="html-name-before-jpeg-content"),
        pytest.param(
            b"junk" + s.HTML, "page.pdf", LIMIT, Reason.HTM_REFUSE, id="html-content-before-bytes-before-header"
        ),
        pytest.param(
            s.html_with_pdf_line() + b"\n%%EOF\n", "p.pdf", LIMIT, Reason.HTM_REFUSE, id="html-before-pdf-rows"
        ),
        pytest.param(
            s.fpdf_pdf()[:600] + s.zip_bytes(), "x.pdf", LIMIT, Reason.FORMAT_NON_PDF, id="appended-before-unreadable"
        ),
        pytest.param(s.deep_nesting(500)[:-7], "x.pdf", LIMIT, Reason.PDF_ILLISIBLE, id="truncated-before-too-complex"),
    ],
)
def test_order_of_precedence(data: bytes, name: str, max_bytes: int, reason: Reason) -> None:
    assert check_document(data, name, max_bytes=max_bytes).reason is reason


def test_size_limit_is_inclusive() -> None:
    data = s.fpdf_pdf()
    assert check_document(data, "a.pdf", max_bytes=len(data)).accepted
    over = check_document(data, "a.pdf", max_bytes=len(data) - 1)
    assert (over.reason, over.size) == (Reason.FICHIER_TROP_VOLUMINEUX, len(data))
    assert "MiB" in over.message_en or "bytes" in over.message_en


def test_verdict_is_json_friendly() -> None:
    result: DocumentVerdict = check_document(s.attachment_pdf(), "joint", max_bytes=LIMIT)
    as_dict = result.as_dict()
    assert as_dict["verdict"] == "accepted" and as_dict["reason"] is None
    assert as_dict["flags"] == ["pdf_fichier_joint", "extension_trompeuse"]

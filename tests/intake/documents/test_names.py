"""The applicant's name is kept for display only, sanitised (spec/intake.md section 2)."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.intake.documents import sanitise_name


@pytest.mark.parametrize(
    ("given", "shown", "changed"),
    [
        pytest.param("fiche.pdf", "fiche.pdf", False, id="plain"),
        pytest.param("Pièce d'identité.pdf", "Pièce d'identité.pdf", False, id="accents-nfc"),
        pytest.param(unicodedata.normalize("NFD", "Pièce.pdf"), "Pièce.pdf", True, id="accents-nfd-to-nfc"),
        pytest.param("../../etc/passwd", "passwd", True, id="parent-folders"),
        pytest.param("/var/lib/gateway/x.pdf", "x.pdf", True, id="absolute-path"),
        pytest.param("C:\\Users\\Anne\\Documents\\rib.pdf", "rib.pdf", True, id="windows-path"),
        pytest.param("facture\u202efdp.exe", "facturefdp.exe", True, id="right-to-left-override"),
        pytest.param("a\u2066b\u2069.pdf", "ab.pdf", True, id="bidi-isolates"),
        pytest.param("line\nbreak\t.pdf", "linebreak.pdf", True, id="control-characters"),
        pytest.param("nul\x00.pdf", "nul.pdf", True, id="nul"),
        pytest.param("  spaced.pdf ", "spaced.pdf", True, id="surrounding-space"),
        pytest.param("", "document", True, id="empty"),
        pytest.param("..", "document", True, id="dot-dot"),
        pytest.param("dir/", "document", True, id="folder-only"),
    ],
)
def test_sanitise_name(given: str, shown: str, changed: bool) -> None:
    result = sanitise_name(given)
    assert (result.display_name, result.changed) == (shown, changed)


def test_long_name_is_cut_keeping_its_extension() -> None:
    result = sanitise_name("a" * 400 + ".pdf")
    assert len(result.display_name) == 255 and result.display_name.endswith(".pdf") and result.changed


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        pytest.param("x.PDF", ".pdf", id="upper"),
        pytest.param("x.html.", ".html", id="trailing-dot"),
        pytest.param("x.htm ", ".htm", id="trailing-space"),
        pytest.param(".pdf", "", id="dot-file"),
        pytest.param("archive.tar.gz", ".gz", id="last-only"),
    ],
)
def test_extension(name: str, extension: str) -> None:
    assert sanitise_name(name).extension == extension

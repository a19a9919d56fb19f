"""Checking files on disk and upload streams without reading beyond the limit."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from gateway.intake.documents import Reason, check_file, check_stream
from tests.intake.documents import samples as s


class CountingStream(io.BytesIO):
    """A stream that remembers how many bytes were asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


def test_file_checked_under_its_own_name(tmp_path: Path) -> None:
    path = tmp_path / "fiche.pdf"
    path.write_bytes(s.fpdf_pdf())
    result = check_file(path, max_bytes=1 << 20)
    assert result.accepted and result.display_name == "fiche.pdf"
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_given_name_replaces_the_path_name(tmp_path: Path) -> None:
    path = tmp_path / "upload-0001.bin"
    path.write_bytes(s.fpdf_pdf())
    assert check_file(path, name="page.html", max_bytes=1 << 20).reason is Reason.HTM_REFUSE
    assert check_file(path, max_bytes=1 << 20).flags == ("extension_trompeuse",)


def test_oversized_file_reports_its_size_and_no_hash(tmp_path: Path) -> None:
    path = tmp_path / "gros.pdf"
    path.write_bytes(s.fpdf_pdf(pages=3))
    size = path.stat().st_size
    result = check_file(path, max_bytes=size - 10)
    assert (result.reason, result.size, result.sha256) == (Reason.FICHIER_TROP_VOLUMINEUX, size, None)


def test_stream_is_read_no_further_than_limit_plus_one() -> None:
    stream = CountingStream(b"%PDF-1.7\n" + b"0" * 5_000_000)
    verdict, kept = check_stream(stream, "gros.pdf", max_bytes=1000)
    assert verdict.reason is Reason.FICHIER_TROP_VOLUMINEUX
    assert stream.served == 1001 and kept == b""


def test_stream_within_limit_returns_the_bytes_checked() -> None:
    data = s.fpdf_pdf()
    verdict, kept = check_stream(io.BytesIO(data), "fiche.pdf", max_bytes=len(data))
    assert verdict.accepted and kept == data

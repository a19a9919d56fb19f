"""Checks running at once in several threads (web workers) keep their own findings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from gateway.intake.documents import Flag, check_document
from tests.intake.documents import samples as s


def test_repairs_are_reported_for_the_file_that_needed_them() -> None:
    # pypdf's warnings go through one logger; each check must only see its own.
    repaired, clean = s.wrong_xref_offsets(), s.reportlab_pdf(5)
    jobs = [repaired if n % 2 else clean for n in range(64)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda data: check_document(data, "x.pdf", max_bytes=1 << 20), jobs))
    for data, result in zip(jobs, results, strict=True):
        assert result.accepted
        assert (Flag.PDF_REPARE in result.flags) == (data is repaired)

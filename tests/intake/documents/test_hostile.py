"""Hostile PDFs are refused as too complex, quickly and in bounded memory (peak RSS of a fresh process).

The content checks run here in the probe's own process, not in a worker: the figures are
those of the checks themselves, and a refusal cannot come from a worker's limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.intake.documents import samples as s

PROBE = Path(__file__).with_name("probe.py")
MIB = 1024 * 1024
#: the bound for one hostile check, interpreter and libraries included
PEAK_LIMIT_KIB = 256 * 1024
#: "quickly": each takes well under a second alone; generous for a loaded 2-core machine
SECONDS_LIMIT = 10


def probe(paths: list[Path], max_bytes: int) -> dict[str, dict]:
    """Checks ``paths`` one after the other in one fresh interpreter; results by file name."""
    done = subprocess.run(
        [sys.executable, str(PROBE), str(max_bytes), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {Path(row["file"]).stem: row for row in rows}


@pytest.fixture(scope="module")
def hostile_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = []
    for kind, make in s.HOSTILE.items():
        paths.append(folder / f"{kind}.pdf")
        paths[-1].write_bytes(make())
    # The limit is raised above the largest file so that the complexity checks, not the size, decide.
    return probe(paths, max(64 * MIB, *(p.stat().st_size for p in paths)))


@pytest.mark.parametrize("kind", list(s.HOSTILE), ids=list(s.HOSTILE))
def test_hostile_file_refused_in_bounded_memory(kind: str, hostile_results: dict[str, dict]) -> None:
    result = hostile_results[kind]
    assert (result["verdict"], result["reason"]) == ("refused", "pdf_trop_complexe")
    # The high-water mark only grows: it bounds this check and every one before it.
    assert result["peak_kib"] < PEAK_LIMIT_KIB, f"peak {result['peak_kib'] // 1024} MiB"
    assert result["seconds"] < SECONDS_LIMIT


def test_probe_measures_the_check_itself(tmp_path: Path) -> None:
    # The probe's figure must move with the work: a 40 MB file read whole raises the peak.
    small, large = tmp_path / "small.pdf", tmp_path / "large.pdf"
    small.write_bytes(s.fpdf_pdf())
    large.write_bytes(s.million_objects())
    results = probe([small, large], 64 * MIB)
    assert results["small"]["verdict"] == "accepted"
    assert results["large"]["peak_kib"] - results["small"]["peak_kib"] > 30 * 1024

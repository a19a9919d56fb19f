"""Hostile PDFs are refused as too complex, each in bounded memory (peak RSS of a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.intake.documents import samples as s

PROBE = Path(__file__).with_name("probe.py")
MIB = 1024 * 1024
#: the brief's bound for one hostile check, interpreter and libraries included
PEAK_LIMIT_KIB = 256 * 1024


def probe(path: Path, max_bytes: int) -> dict:
    done = subprocess.run([sys.executable, str(PROBE), str(path), str(max_bytes)], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", list(s.HOSTILE), ids=list(s.HOSTILE))
def test_hostile_file_refused_in_bounded_memory(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(s.HOSTILE[kind]())
    # The limit is raised above the file's size so that the complexity checks, not the size, decide.
    result = probe(path, max(path.stat().st_size, 20 * MIB))
    assert (result["verdict"], result["reason"]) == ("refused", "pdf_trop_complexe")
    assert result["peak_kib"] < PEAK_LIMIT_KIB, f"peak {result['peak_kib'] // 1024} MiB"


def test_probe_measures_the_check_itself(tmp_path: Path) -> None:
    # The probe's figure must move with the work: a 40 MB file read whole raises the peak.
    small, large = tmp_path / "small.pdf", tmp_path / "large.pdf"
    small.write_bytes(s.fpdf_pdf())
    large.write_bytes(s.million_objects())
    first, second = probe(small, 64 * MIB), probe(large, 64 * MIB)
    assert first["verdict"] == "accepted"
    assert second["peak_kib"] - first["peak_kib"] > 30 * 1024

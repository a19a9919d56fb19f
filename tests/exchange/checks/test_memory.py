"""Memory stays bounded: a file is streamed, never held as a tree (measured in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.exchange import samples

from .conftest import REPO

MEASURE = r"""
import datetime as dt, json, sys
from pathlib import Path
from gateway.exchange.checks.model import EmptyHistory, Received
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.response import render_response

def status_kib(field):
    # /proc figures, not getrusage: ru_maxrss survives exec and would count the parent's size
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])

checker = Checker(Path(sys.argv[1]), timezone="Europe/Luxembourg", max_file_bytes=52428800)
path = Path(sys.argv[2])
def received(p):
    return Received(name=sys.argv[3], provider_code=sys.argv[3].split("_")[2], profession=sys.argv[3].split("_")[0],
                    received_at=dt.datetime(2026, 11, 15, 8, 30, tzinfo=dt.timezone.utc), size=p.stat().st_size,
                    sha256="0" * 64, path=p)
small = Path(sys.argv[4])
checker.check(received(small), EmptyHistory())  # schemas compiled, modules loaded
baseline = status_kib("VmRSS")
outcome = checker.check(received(path), EmptyHistory())
response = render_response(outcome, processed_at=dt.datetime.now(dt.timezone.utc), timezone="Europe/Luxembourg")
peak = status_kib("VmHWM")
print(json.dumps({"status": outcome.status.value, "codes": [f.code for f in outcome.file_findings], "records": len(outcome.records or ()),
                  "baseline_kib": baseline, "peak_kib": peak, "response_bytes": len(response)}))
"""


def measure(tmp_path: Path, convention: str, size: int, namespace: str | None = None) -> tuple[dict, int]:
    path = tmp_path / "big.xml"
    data = samples.build_sized(convention, size)
    if namespace is not None:
        data = data.replace(samples.NAMESPACES[convention].encode(), namespace.encode(), 1)
    path.write_bytes(data)
    small = tmp_path / "small.xml"
    small.write_bytes(samples.build_request(samples.Header(convention=convention)))
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(REPO / "schemas"), str(path), samples.file_name(convention), str(small)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout), path.stat().st_size


@pytest.mark.parametrize("convention", ["KINE", pytest.param("LAB", marks=pytest.mark.heavy)])
def test_an_8_mib_file_grows_memory_by_less_than_three_times_its_size(tmp_path: Path, convention: str) -> None:
    figures, size = measure(tmp_path, convention, 8 * 2**20)
    assert figures["status"] == "ACCEPTE"
    growth = (figures["peak_kib"] - figures["baseline_kib"]) * 1024
    assert growth < 3 * size, figures  # a tree of the same file takes about 12 times its size


def test_a_file_no_schema_applies_to_is_streamed_too(tmp_path: Path) -> None:
    figures, size = measure(tmp_path, "KINE", 8 * 2**20, namespace="urn:example:unknown")
    assert (figures["status"], figures["codes"]) == ("REJETE", ["XSD-002"])
    assert (figures["peak_kib"] - figures["baseline_kib"]) * 1024 < size, figures


@pytest.mark.heavy
def test_a_50_mib_file_peaks_under_three_times_its_size(tmp_path: Path) -> None:
    figures, size = measure(tmp_path, "KINE", 50 * 2**20 - 4096)  # just under the default limit
    assert figures["status"] == "ACCEPTE"
    assert figures["records"] > 90_000
    assert figures["peak_kib"] * 1024 <= 3 * size, figures

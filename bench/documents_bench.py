"""Benchmark of the application document checks; prints a table, asserts nothing.

- throughput: documents checked per second (one thread) for 1-page and 50-page PDFs of
  several producers, and for a 50-page scan;
- hostile files: verdict, time and peak resident size of the check, each in a fresh
  interpreter (VmHWM, interpreter and libraries included).

Run from the project root: ``.venv/bin/python bench/documents_bench.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.intake.documents import check_document  # noqa: E402
from tests.intake.documents import samples  # noqa: E402

PROBE = ROOT / "tests" / "intake" / "documents" / "probe.py"
LIMIT = 20 * 1024 * 1024


def throughput(data: bytes, seconds: float) -> tuple[float, str]:
    """Checks ``data`` repeatedly for about ``seconds``; returns (per second, verdict)."""
    verdict = check_document(data, "bench.pdf", max_bytes=LIMIT)  # warm-up
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        check_document(data, "bench.pdf", max_bytes=LIMIT)
        count += 1
    return count / (time.perf_counter() - started), str(verdict.reason or verdict.verdict)


def hostile(name: str, data: bytes, folder: Path) -> dict:
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, str(PROBE), str(max(len(data), LIMIT)), str(path)],
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each throughput case")
    args = parser.parse_args()

    cases = {
        "fpdf2, 1 page": samples.fpdf_pdf(1),
        "fpdf2, 50 pages": samples.fpdf_pdf(50),
        "reportlab, 1 page": samples.reportlab_pdf(1),
        "reportlab, 50 pages": samples.reportlab_pdf(50),
        "pdftocairo, 2 pages": samples.cairo_pdf(),
        "Pillow scan, 1 page": samples.image_scan_pdf(1),
        "Pillow scan, 50 pages": samples.image_scan_pdf(50),
        "owner-restricted, 1 page": samples.encrypted_pdf("", "owner"),
    }
    print(f"{'document':28} {'size':>10} {'verdict':>12} {'docs/s':>9} {'ms/doc':>8}")
    for name, data in cases.items():
        rate, verdict = throughput(data, args.seconds)
        print(f"{name:28} {len(data):>10} {verdict:>12} {rate:>9.1f} {1000 / rate:>8.2f}")

    print()
    print(f"{'hostile file':32} {'size':>10} {'reason':>18} {'seconds':>8} {'peak MiB':>9} {'base MiB':>9}")
    bombs = {
        **{name: make for name, make in samples.HOSTILE.items()},
        "decompression-bomb-1GiB": lambda: samples.decompression_bomb(1024),
        "chained-flate-bomb-1GiB": lambda: samples.chained_filter_bomb(1024),
        "jpeg-hiding-pdf": samples.jpeg_hiding_pdf,
        "pdf-zip-polyglot": samples.pdf_zip_polyglot,
        "pdf-html-polyglot": samples.pdf_then_html,
    }
    with tempfile.TemporaryDirectory() as folder:
        for name, make in bombs.items():
            data = make()
            result = hostile(name, data, Path(folder))
            print(f"{name:32} {len(data):>10} {result['reason'] or result['verdict']:>18} "
                  f"{result['seconds']:>8.3f} {result['peak_kib'] / 1024:>9.1f} {result['baseline_kib'] / 1024:>9.1f}")


if __name__ == "__main__":
    main()

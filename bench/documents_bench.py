"""Benchmark of the application document checks; prints tables, asserts nothing.

- worker processes: a cold worker's start (what a plain spawn per call would cost), a warm
  round trip with a small and a 20 MiB input, and a first-page preview;
- throughput: documents checked per second (one thread) for 1-page and 50-page PDFs of
  several producers, and for a 50-page scan, through a warm worker (``check_document``) and
  with the content checks run in this process (the work alone);
- hostile files: verdict, time and peak resident size of the content checks, each in a fresh
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

from gateway.intake.documents import check_document
from gateway.intake.documents.content import check_content
from gateway.isolation import Isolation
from gateway.web.thumbnails import first_page_png
from tests.intake.documents import samples

PROBE = ROOT / "tests" / "intake" / "documents" / "probe.py"
LIMIT = 20 * 1024 * 1024


def rate(call, seconds: float) -> float:
    """Calls ``call`` repeatedly for about ``seconds``; returns calls per second."""
    call()  # warm-up
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        count += 1
    return count / (time.perf_counter() - started)


def throughput(data: bytes, seconds: float, isolation: Isolation) -> tuple[float, float, str]:
    """(isolated per second, in-process per second, verdict) for ``data``."""
    verdict = check_document(data, "bench.pdf", max_bytes=LIMIT, isolation=isolation)
    isolated = rate(lambda: check_document(data, "bench.pdf", max_bytes=LIMIT, isolation=isolation), seconds)
    alone = rate(lambda: check_content(data), seconds)
    return isolated, alone, str(verdict.reason or verdict.verdict)


def workers(seconds: float) -> None:
    """Cost of the worker processes themselves."""
    starts = []
    for _ in range(3):
        pool = Isolation(workers=1)
        started = time.perf_counter()
        pool.run("tests.isolation.tasks:size", b"x")
        starts.append(time.perf_counter() - started)
        pool.close()
    pool = Isolation(workers=1)
    try:
        print(f"{'worker process':44} {'ms':>8}")
        print(f"{'cold start + first call (median of 3)':44} {1000 * sorted(starts)[1]:>8.1f}")
        for label, data in (("warm round trip, 1 KiB", b"x" * 1024), ("warm round trip, 20 MiB", b"x" * LIMIT)):
            per_second = rate(lambda data=data: pool.run("tests.isolation.tasks:size", data), seconds)
            print(f"{label:44} {1000 / per_second:>8.2f}")
        page = samples.fpdf_pdf(1)
        per_second = rate(lambda: first_page_png(page, isolation=pool), seconds)
        print(f"{'first-page preview (fpdf2, A4)':44} {1000 / per_second:>8.2f}")
    finally:
        pool.close()


def hostile(name: str, data: bytes, folder: Path) -> dict:
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, str(PROBE), str(max(len(data), LIMIT)), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
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
    workers(args.seconds)
    print()
    isolation = Isolation(workers=1)
    print(f"{'document':28} {'size':>10} {'verdict':>12} {'docs/s':>9} {'ms/doc':>8} {'in-process ms':>14}")
    for name, data in cases.items():
        isolated, alone, verdict = throughput(data, args.seconds, isolation)
        print(f"{name:28} {len(data):>10} {verdict:>12} {isolated:>9.1f} {1000 / isolated:>8.2f} {1000 / alone:>14.2f}")
    isolation.close()

    print()
    print(f"{'hostile file':32} {'size':>10} {'reason':>18} {'seconds':>8} {'peak MiB':>9} {'base MiB':>9}")
    bombs = {
        **dict(samples.HOSTILE.items()),
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
            print(
                f"{name:32} {len(data):>10} {result['reason'] or result['verdict']:>18} "
                f"{result['seconds']:>8.3f} {result['peak_kib'] / 1024:>9.1f} {result['baseline_kib'] / 1024:>9.1f}"
            )


if __name__ == "__main__":
    main()

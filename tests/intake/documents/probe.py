"""Runs the content checks in a fresh interpreter and prints, per file, the verdict and peak memory (JSON lines).

Run as ``python probe.py MAX_BYTES FILE...``. The content checks (``content.check_content``)
are what a worker process runs on a document; here they run in this process, so that the
figures measure the checks themselves (a gateway's own memory does not grow with a file's
content: the worker's limits bound it). The peak is the process's high-water mark (VmHWM)
after each check, so it only grows: every figure bounds that file's check and all before
it. Used by the hostile-file tests and the benchmark.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def high_water_kib() -> int:
    """Peak resident size of this process (VmHWM: unlike ru_maxrss, not inherited over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    from gateway.intake.documents.content import check_content

    max_bytes = int(sys.argv[1])
    for name in sys.argv[2:]:
        path = Path(name)
        baseline_kib = high_water_kib()
        started = time.perf_counter()
        if path.stat().st_size > max_bytes:
            reason = "fichier_trop_volumineux"
        else:
            reason = check_content(path.read_bytes()).reason
        elapsed = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "file": name,
                    "verdict": "refused" if reason else "accepted",
                    "reason": reason and str(reason),
                    "baseline_kib": baseline_kib,
                    "peak_kib": high_water_kib(),
                    "seconds": elapsed,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Checks one file in a fresh interpreter and prints the verdict with peak memory (JSON).

Run as ``python probe.py FILE MAX_BYTES``; used by the hostile-file tests and the benchmark,
so that one file's peak resident size is measured alone.
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
    from gateway.intake.documents import check_file

    path, max_bytes = Path(sys.argv[1]), int(sys.argv[2])
    baseline_kib = high_water_kib()
    started = time.perf_counter()
    verdict = check_file(path, max_bytes=max_bytes)
    elapsed = time.perf_counter() - started
    peak_kib = high_water_kib()
    print(json.dumps({"verdict": str(verdict.verdict), "reason": verdict.reason and str(verdict.reason),
                      "baseline_kib": baseline_kib, "peak_kib": peak_kib, "seconds": elapsed}))


if __name__ == "__main__":
    main()

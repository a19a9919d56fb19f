"""One worker thread's cost per file: claim, check, respond and commit, in process (prints a line).

    .venv/bin/python -m bench.runtime_bench [--files 300] [--kib 20] [--postgres URL] [--profile]

Registers ``--files`` valid KINE files of about ``--kib`` KiB (20 providers, as the SFTP server
registers them), then claims and processes them one after the other in this thread, with no
SFTP server, client or other worker beside it: files/s, and the CPU time of this process per
file, which the machine's other work moves less than the wall time. ``--profile`` writes a
pyinstrument profile of the loop to ``runtime-profile.txt`` (pyinstrument is in the ``dev``
extra). Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from bench.exchange_bench import database, deposit, install, make_processor, workload
from gateway.exchange.runtime.claims import ProcessIdentity, claim_next
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.identifiers import make_provider_code

UPLOADERS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--kib", type=int, default=20)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh schema is used); SQLite if empty")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="runtime-bench-"))
    codes = [make_provider_code("45", 3000 + i) for i in range(UPLOADERS)]
    kind = "postgresql" if args.postgres else "sqlite"
    with database(kind, home, args.postgres) as url:
        sessions, engine = install(home, url, codes, "")
        spool, processor = make_processor(home, url, sessions)
        per = workload(codes, args.files, args.kib)
        for round_ in range(max(len(files) for files in per)):  # in each provider's order
            for upload in (files[round_] for files in per if round_ < len(files)):
                deposit(sessions, spool, upload)
        claimant = ProcessIdentity.current().claimant(0)
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        answered, claiming = 0, 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        while True:
            started = time.perf_counter()
            claim = claim_next(
                sessions, claimant, now=dt.datetime.now(dt.UTC), lease_s=60, archive_ref=SpoolPaths.archive_ref
            )
            claiming += time.perf_counter() - started
            if claim is None:
                break
            processor.process(claim)
            answered += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
            Path("runtime-profile.txt").write_text(profiler.output_text(unicode=False, color=False))
        engine.dispose()
    print(
        f"{kind}: {answered} files of ~{args.kib} KiB by one worker thread in {wall:.2f} s: "
        f"{answered / wall:.1f} files/s, CPU {cpu / answered * 1000:.1f} ms per file, "
        f"claim {claiming / answered * 1000:.1f} ms per file"
    )


if __name__ == "__main__":
    main()

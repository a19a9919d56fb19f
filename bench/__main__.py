"""The deposit path's whole table in one run, each figure beside its reference (issue 12).

    .venv/bin/python -m bench [--quick] [--postgres postgresql://postgres@127.0.0.1:5432/test]
                              [--only sftp,checks,runtime,cli]

Runs, one after the other, on this machine:

- SFTP (``sftp_bench``): OpenSSH's sshd with ``internal-sftp`` on a private loopback port beside
  ``gateway serve --role sftp`` (durable), the same OpenSSH ``sftp`` client and files: 500 x
  20 KiB in one session, 20 uploaders x 50 files, one 200 MB upload (20 MB with ``--quick``);
- checks (``checks_bench``): the whole check (every stage and the response) against bare lxml
  parse + XSD, 1 MiB and 50 MiB files (``--quick``: 1 MiB and 10 MiB), plus the schema stage alone;
- runtime (``exchange_bench --supervised``): deposit to response through ``gateway serve`` as it
  runs in production (its supervisor, the SFTP server, one worker process per core), 600 x 20 KiB files from 20 uploaders as fast as they go (files answered/s), then 50 files/s
  offered (p99), on SQLite and on PostgreSQL (a fresh schema of ``--postgres``);
- CLI: wall time of ``gateway --help`` and of ``gateway validate`` on one small file.

Then prints one table. Not a test: the figures depend on what else runs on the machine; the
ratios to the reference, measured in the same run, are what to compare between runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
GATEWAY = str(Path(sys.executable).parent / "gateway")
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def sftp_figures(quick: bool) -> dict[str, dict]:
    from bench import sftp_bench

    return sftp_bench.measure(big_mb=20 if quick else 200, idle=0, rounds=1 if quick else 2, processes=0, relaxed=False)


def check_figures(quick: bool) -> dict[str, dict[str, dict]]:
    from bench import checks_bench

    return checks_bench.measure(["1M", "10M" if quick else "50M"], 1 if quick else 3, extra=False)


def runtime_figures(quick: bool, postgres: str) -> dict[str, dict]:
    """Files answered/s (as fast as they go) and p99 ms at 50 files/s offered, by database."""
    from bench import exchange_bench
    from gateway.logs import configure_logging

    configure_logging("WARNING", "json")
    found: dict[str, dict] = {}
    for kind in ("sqlite", "postgres") if postgres else ("sqlite",):
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        figures = {}
        for rate, files in ((0.0, 200 if quick else 600), (50.0, 150 if quick else 500)):
            args = argparse.Namespace(
                files=files,
                uploaders=20,
                kib=20,
                workers=2,
                postgres=postgres,
                split=False,
                rate=rate,
                supervised=True,  # as `gateway serve` runs: the SFTP server and a worker process per core
            )
            with tempfile.TemporaryDirectory(prefix="bench-runtime-") as temp:
                result = exchange_bench.run_live(Path(temp), args, kind)
            print(exchange_bench.HEADER + "\n" + result.row(), flush=True)
            latencies = sorted(result.latencies)
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000 if latencies else float("nan")
            if rate:
                figures["p99 ms"] = p99
                figures["p50 ms"] = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
            else:
                figures["files/s"] = result.files / result.seconds
                figures["answered"] = f"{result.answered}/{result.files}"
        found[label] = figures
    return found


def _wall(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of ``command``.

    The CPU time is the figure to compare on a busy machine: the wall time also counts the
    waits for a core.
    """
    times, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def cli_figures(quick: bool) -> dict[str, tuple[float, float]]:
    from tests.exchange import samples

    repeat = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as temp:
        path = Path(temp) / samples.file_name("KINE")
        path.write_bytes(samples.build_request())
        (Path(temp) / "config.toml").write_text(f'[paths]\nschemas = "{REPO / "schemas"}"\n')
        # validate exits 1 when the file is not ACCEPTE; the time is what is measured here
        done = subprocess.run([GATEWAY, "validate", str(path)], capture_output=True, text=True, cwd=temp)
        print(f"gateway validate: {done.stdout.strip() or done.stderr.strip()[-300:]}", flush=True)
        return {
            "help": _wall([GATEWAY, "--help"], repeat),
            "validate": _wall([GATEWAY, "validate", str(path)], repeat),
            "python": _wall([sys.executable, "-c", "pass"], repeat),
        }


def report(found: dict, args: argparse.Namespace) -> None:
    """Prints the issue's table: measure, gateway, reference, ratio, aim."""
    rows: list[tuple[str, str, str, str, str]] = []

    def ratio(ours: float, theirs: float) -> str:
        return f"{ours / theirs:.2f}x" if ours and theirs else "-"

    if "sftp" in found:
        ours, ref = found["sftp"].get("gateway", {}), found["sftp"].get("openssh", {})
        for key, title, aim in (
            ("small files/s", "500 x 20 KiB, one session, files/s", ">= 0.6x"),
            ("20x50 files/s", "20 uploaders x 50 files, files/s", ">= 0.8x"),
            ("big MB/s", f"{20 if args.quick else 200} MB upload, MB/s", ">= 0.6x"),
        ):
            rows.append(
                (
                    title,
                    f"{ours.get(key, 0):.1f}",
                    f"OpenSSH {ref.get(key, 0):.1f}",
                    ratio(ours.get(key, 0), ref.get(key, 0)),
                    aim,
                )
            )
        rows.append(
            (
                "  server cores busy, 20 uploaders",
                f"{ours.get('20x50 cpu/wall', 0):.2f}",
                f"OpenSSH {ref.get('20x50 cpu/wall', 0):.2f}",
                "",
                "",
            )
        )
    if "checks" in found:
        for label, modes in found["checks"].items():
            bare = modes["bare"]["seconds"]
            rows.append(
                (
                    f"whole check {label}, s",
                    f"{modes['check']['seconds']:.3f}",
                    f"lxml {bare:.3f}",
                    f"{modes['check']['ratio']:.2f}x",
                    ">= 0.5x",
                )
            )
            rows.append(
                (
                    f"  schema stage alone {label}, s",
                    f"{modes['schema']['seconds']:.3f}",
                    "",
                    f"{modes['schema']['ratio']:.2f}x",
                    "",
                )
            )
    if "runtime" in found:
        for db, figures in found["runtime"].items():
            rows.append(
                (
                    f"deposit -> response, {db}, files answered/s",
                    f"{figures.get('files/s', 0):.1f}",
                    f"({figures.get('answered', '')} ACCEPTE)",
                    "",
                    ">= 200",
                )
            )
            rows.append(
                (
                    f"deposit -> response, {db}, p99 ms at 50/s",
                    f"{figures.get('p99 ms', 0):.0f}",
                    f"(p50 {figures.get('p50 ms', 0):.0f})",
                    "",
                    "< 100",
                )
            )
    if "cli" in found:
        cli = found["cli"]
        rows.append(
            (
                "gateway --help, s wall (CPU)",
                "{:.2f} ({:.2f})".format(*cli["help"]),
                "python -c pass {:.2f} ({:.2f})".format(*cli["python"]),
                "",
                "< 0.3",
            )
        )
        rows.append(
            (
                "gateway validate (one small file), s wall (CPU)",
                "{:.2f} ({:.2f})".format(*cli["validate"]),
                "",
                "",
                "< 0.5",
            )
        )

    client = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    print()
    print(
        f"{'quick run' if args.quick else 'full run'}; {os.cpu_count()} cores; load average at the end "
        f"{os.getloadavg()[0]:.1f}; client {client}"
    )
    widths = [max(len(r[i]) for r in rows + [HEAD]) for i in range(5)]
    for row in [HEAD, tuple("-" * w for w in widths), *rows]:
        print(
            "| "
            + " | ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )


HEAD = ("measure", "gateway", "reference", "ratio", "aim")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and one round (a few minutes)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("GATEWAY_TEST_POSTGRES_URL", POSTGRES),
        help="PostgreSQL URL for the runtime figures ('' to skip PostgreSQL)",
    )
    parser.add_argument("--only", default="sftp,checks,runtime,cli", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    found: dict = {}
    if "cli" in parts:  # first: the least disturbed by the servers' leftovers
        found["cli"] = cli_figures(args.quick)
    if "sftp" in parts:
        found["sftp"] = sftp_figures(args.quick)
    if "checks" in parts:
        found["checks"] = check_figures(args.quick)
    if "runtime" in parts:
        found["runtime"] = runtime_figures(args.quick, args.postgres)
    report(found, args)


if __name__ == "__main__":
    main()

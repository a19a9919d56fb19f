"""Benchmark of the web node: page latency with a month of files, and the back-office feed.

Seeds a database with ``--files`` answered request files over 30 days (a third rejected,
each with two findings) and ``--records`` forwarded records, serves the app with uvicorn on
127.0.0.1, then requests each page one at a time for ``--seconds`` and prints requests per
second, median and 95th percentile; finally reads the whole forwarded feed through
``/api/v1/forwarded`` in pages of 1,000 and prints records per second. Asserts nothing.

Run from the project root: ``.venv/bin/python bench/web_bench.py [--database URL]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import insert

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.store.models.exchange import ForwardedRecord, RequestFile, RequestFinding
from gateway.web.staff import create_api_key
from tests.web.conftest import AGENT, start_site

PROVIDER = "45001237"


def seed(site, files: int, records: int) -> None:
    Accounts(site.sessions, AccountMirror(site.root / "accounts", site.config.inbox, site.config.outbox)).add(
        PROVIDER, profession="KINE", name="Bench"
    )
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(7)
    rows, findings = [], []
    for n in range(1, files + 1):
        received = now - dt.timedelta(seconds=rng.randrange(30 * 86400))
        status = "REJETE" if n % 3 == 0 else "ACCEPTE"
        rows.append(
            {
                "id": n,
                "provider_code": PROVIDER,
                "name": f"KINE_FACT_{PROVIDER}_20261101000000_{n:06d}.xml",
                "response_name": f"KINE_FACT_{PROVIDER}_20261101000000_{n:06d}_REP.xml",
                "source": "sftp",
                "state": "ANSWERED",
                "received_at": received,
                "size": 4000,
                "sha256": f"{n:064x}",
                "stored_at": f"archive:{PROVIDER}/x/{n:08d}.xml",
                "answered_at": received + dt.timedelta(milliseconds=rng.randrange(50, 900)),
                "status": status,
                "convention": "KINE",
                "mode": "PRODUCTION",
                "attempts": 1,
                "collected_at": received,
            }
        )
        if status == "REJETE":
            findings += [
                {"request_file_id": n, "position": p, "code": code, "severity": "ERREUR", "line": 20 + p}
                for p, code in enumerate(("MAT-004", "DAT-001"))
            ]
    with site.sessions() as session, session.begin():
        session.execute(insert(RequestFile), rows)
        if findings:
            session.execute(insert(RequestFinding), findings)
        session.execute(
            insert(ForwardedRecord),
            [
                {
                    "request_file_id": 1 + n % files,
                    "provider_code": PROVIDER,
                    "convention": "KINE",
                    "file_name": "x.xml",
                    "id_fichier": "3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88",
                    "record_position": n + 1,
                    "record_id": str(n + 1),
                    "reference": f"R-{n}",
                    "matricule": "1893120105732",
                    "amount_cents": 3085,
                    "record_status": "ACCEPTE",
                    "forwarded_at": now,
                }
                for n in range(records)
            ],
        )


def measure(client: httpx.Client, path: str, seconds: float) -> tuple[float, float, float]:
    client.get(path)  # warm-up
    times, started = [], time.perf_counter()
    while time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (path, response.status_code)
    return len(times) / (time.perf_counter() - started), statistics.median(times), sorted(times)[int(len(times) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/gateway.db"
        site, service = start_site(Path(folder), url)
        try:
            t0 = time.perf_counter()
            seed(site, args.files, args.records)
            print(
                f"seeded {args.files} files, {args.records} forwarded records in {time.perf_counter() - t0:.1f} s"
                f" ({site.engine.dialect.name})"
            )
            print(f"{'page':45} {'req/s':>8} {'median ms':>10} {'p95 ms':>8}")
            with site.staff_client(AGENT[0]) as client:
                for path in (
                    "/dashboard",
                    "/dashboard/files-per-day.svg",
                    "/files",
                    "/files?error_code=MAT-004",
                    "/files?status=REJETE&page=20",
                    f"/files/{args.files // 2}",
                ):
                    rate, median, p95 = measure(client, path, args.seconds)
                    print(f"{path:45} {rate:8.1f} {median * 1000:10.1f} {p95 * 1000:8.1f}")
            key = create_api_key(site.sessions, "bench", "backoffice", actor="bench")
            with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
                t0, after, count = time.perf_counter(), 0, 0
                while True:
                    page = client.get("/api/v1/forwarded", params={"after": after, "limit": 1000}).json()
                    count += len(page["items"])
                    if page["next_cursor"] is None:
                        break
                    after = page["next_cursor"]
                elapsed = time.perf_counter() - t0
            print(f"forwarded feed: {count} records in {elapsed:.1f} s = {count / elapsed:,.0f} records/s")
        finally:
            service.stop()
            site.engine.dispose()


if __name__ == "__main__":
    main()

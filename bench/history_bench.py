"""The lookups made per file against a long history: the checks' and the publisher's (prints a table).

    .venv/bin/python -m bench.history_bench [--files 1000,50000] [--postgres URL]

For each size, a fresh database (SQLite, or a fresh schema of ``--postgres``) holds one
provider with that many answered production files (ACCEPTE and PARTIELLEMENT_ACCEPTE, each
with its IdFichier, sequence number and one accepted act), and the four lookups a check makes
(identical file, last sequence, IdFichier used, accepted acts) are timed as a worker makes
them, bounded by a file received after all of them; and the publisher's claim of its next
batch (``forwarding.outbox.claim_batch``) when the outbox holds one sent message per file and
one message waiting. The median of 200 runs each, in milliseconds. A lookup whose time grows with the history scans it; one that stays flat uses an
index. Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert

from bench.exchange_bench import database, install
from gateway.exchange.checks.model import ActKey
from gateway.exchange.runtime.forwarding.outbox import claim_batch, release
from gateway.exchange.runtime.history import DatabaseHistory, act_hash
from gateway.identifiers import make_provider_code
from gateway.store.models.exchange import AcceptedAct, RequestFile
from gateway.store.models.forwarding import OutboxMessage

RUNS = 200
KEY = b"bench-act-key"


def fill(sessions, code: str, files: int) -> tuple[str, str, ActKey]:
    """``files`` answered files of ``code``; returns (an IdFichier, a SHA-256, an act) of the first."""
    now = dt.datetime.now(dt.UTC)
    first_id = str(uuid.uuid4())
    act = ActKey("1985010112345", "K101", "2026-11-02")
    rows = []
    for n in range(1, files + 1):
        rows.append(
            {
                "provider_code": code,
                "name": f"KINE_FACT_{code}_20261115093000_{n:06d}.xml",
                "response_name": f"KINE_FACT_{code}_20261115093000_{n:06d}_REP.xml",
                "source": "sftp",
                "state": "ANSWERED",
                "received_at": now,
                "size": 20480,
                "sha256": f"{n:064x}",
                "stored_at": f"archive:{n}",
                "status": "ACCEPTE" if n % 3 else "PARTIELLEMENT_ACCEPTE",
                "mode": "PRODUCTION",
                "convention": "KINE",
                "id_fichier": first_id if n == 1 else str(uuid.uuid4()),
                "sequence": n,
                "collected_at": now,
            }
        )
    with sessions() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(RequestFile), rows[start : start + 5000])
        ids = [row.id for row in session.query(RequestFile.id).order_by(RequestFile.id)]
        acts = [
            {
                "request_file_id": file_id,
                "provider_code": code,
                "act_hash": act_hash(KEY, act if i == 0 else ActKey(str(i), "K101", "2026-11-02")),
            }
            for i, file_id in enumerate(ids)
        ]
        for start in range(0, len(acts), 5000):
            session.execute(insert(AcceptedAct), acts[start : start + 5000])
        # the outbox after the publisher sent one message per file, and one message waiting
        messages = [
            {
                "kind": "withdrawal",
                "provider_code": code,
                "request_file_id": file_id,
                "message_id": f"withdrawal-{file_id}",
                "payload": "{}",
                "created_at": now,
                "sent_at": now if i < len(ids) - 1 else None,
            }
            for i, file_id in enumerate(ids)
        ]
        for start in range(0, len(messages), 5000):
            session.execute(insert(OutboxMessage), messages[start : start + 5000])
        session.commit()
    return first_id, f"{1:064x}", act


def median_ms(lookup: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        lookup()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(kind: str, files: int, postgres: str) -> dict[str, float]:
    code = make_provider_code("45", 7000)
    with tempfile.TemporaryDirectory(prefix="history-bench-") as temp, database(kind, Path(temp), postgres) as url:
        sessions, engine = install(Path(temp), url, [code], "")
        id_fichier, sha256, act = fill(sessions, code, files)
        history = DatabaseHistory(sessions, act_key=KEY, before_id=2**31 - 1)
        fresh = str(uuid.uuid4())
        with history.held():
            figures = {
                "identical file": median_ms(lambda: history.identical_file(code, sha256)),
                "last sequence": median_ms(lambda: history.last_sequence(code, "KINE")),
                "IdFichier used": median_ms(lambda: history.id_fichier_used(code, id_fichier)),
                # the usual case: a new file's IdFichier, found nowhere
                "IdFichier new": median_ms(lambda: history.id_fichier_used(code, fresh)),
                "accepted acts (1)": median_ms(lambda: history.accepted_acts(code, frozenset({act}))),
            }
            # the answers are those of the history filled in (a lookup that answers wrongly fast is no figure)
            assert history.last_sequence(code, "KINE") == files
            assert history.id_fichier_used(code, id_fichier) and not history.id_fichier_used(code, fresh)
            assert history.accepted_acts(code, frozenset({act})) == {act}

        def next_batch() -> None:
            claimed = claim_batch(sessions, "bench", now=dt.datetime.now(dt.UTC), lease_s=60, limit=100)
            assert len(claimed) == 1  # the one message waiting
            release(sessions, "bench")

        figures["publisher's next batch"] = median_ms(next_batch)
        engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="1000,50000", help="history sizes, comma-separated")
    parser.add_argument("--postgres", default="", help="also on PostgreSQL (a fresh schema of this URL)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.files.split(",")]
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    results = {(kind, size): measure(kind, size, args.postgres) for kind in kinds for size in sizes}
    lookups = list(next(iter(results.values())))
    header = f"{'lookup, median ms':<20}" + "".join(f"{kind[:6]} {size:>7}".rjust(16) for kind, size in results)
    print(header)
    for lookup in lookups:
        print(f"{lookup:<20}" + "".join(f"{figures[lookup]:16.3f}" for figures in results.values()))


if __name__ == "__main__":
    main()

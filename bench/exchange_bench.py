"""Deposit-to-response latency and sustained throughput of the exchange runtime (prints a table).

    .venv/bin/python -m bench.exchange_bench [--files 1000] [--uploaders 20] [--kib 20]
                                             [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                             [--workers 2] [--skip-inprocess] [--split] [--supervised]
                                             [--rate R]

Runs, each on a fresh installation in a temp folder:

1. in-process: files registered directly (as the SFTP server registers them) and answered by a
   WorkerService in this process (SQLite): the runtime alone, no network.
2. live on SQLite: ``gateway serve --role sftp,worker --single-process`` as a subprocess; ``--uploaders``
   paramiko clients, one provider account each, upload ``--files`` valid KINE files of
   ``--kib`` KiB over SFTP at the same time. Latency is measured from the moment the client's
   close returned (the file is received) to the moment its response appeared in the outbox
   (inotify in this process).
3. the same on PostgreSQL (a fresh schema), when ``--postgres`` is given.

``--supervised`` runs one ``gateway serve --role sftp,worker`` as in production: its supervisor
starts the SFTP server and ``processes.workers`` worker processes (one per core), each with
``--workers`` threads. ``--split`` runs the SFTP server and the workers under two ``gateway serve`` supervisors (the
workers, one process per core, are woken by inbox events), so every core serves; ``--rate`` offers files at a steady
total rate instead of as fast as the uploaders go, to see the latency of a load the gateway
sustains rather than the time files wait in a queue.

Throughput is files answered per second from the first upload to the last response. The
uploading clients run on the same machine and compete with the server for its cores. Not a
test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import create_engine, func, select, text
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.exchange.runtime.reception import register_received, response_name_for
from gateway.identifiers import make_provider_code
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory, normalise_url, read_sessions, transaction
from gateway.store.models.exchange import FileState, RequestFile
from tests.exchange import samples

GATEWAY = str(Path(sys.executable).parent / "gateway")


@dataclass(frozen=True)
class Upload:
    code: str
    name: str
    data: bytes


@dataclass
class Result:
    label: str
    files: int
    seconds: float
    latencies: list[float]
    answered: int
    #: from the database: answered_at - received_at (the server's own view, no client in it)
    server: list[float] = None  # type: ignore[assignment]

    def row(self) -> str:
        return (
            self._row(self.label, self.latencies)
            + "\n"
            + self._row("  server view (recuLe -> commit)", self.server or [])
        )

    def _row(self, label: str, latencies: list[float]) -> str:
        lat = sorted(latencies)

        def p(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

        return (
            f"{label:<34} {self.files:>6} {self.answered:>8} {self.files / self.seconds:>9.1f} "
            f"{p(0.50):>8.1f} {p(0.99):>8.1f} {max(lat) * 1000 if lat else float('nan'):>8.1f} "
            f"{statistics.fmean(lat) * 1000 if lat else float('nan'):>8.1f}"
        )


HEADER = (
    f"{'run':<34} {'files':>6} {'answered':>8} {'files/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}"
)


# ----------------------------------------------------------------- installation


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database(kind: str, home: Path, postgres: str) -> Iterator[str]:
    """A URL of an empty database: SQLite in ``home`` or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{home / 'var' / 'gateway.db'}"
        return
    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def install(home: Path, url: str, codes: list[str], public_key: str):
    """Schemas, database and one KINE account per code; returns the session factory and engine."""
    shutil.copytree(REPO / "schemas", home / "schemas")
    engine = make_engine(url)
    schema.upgrade(engine)
    sessions = make_session_factory(engine)
    accounts = Accounts(sessions, AccountMirror(home / "providers" / "accounts", home / "inbox", home / "outbox"))
    for code in codes:
        accounts.add(code, profession="KINE", name=f"Bench {code}", keys=[public_key] if public_key else [])
    return sessions, engine


def workload(codes: list[str], files: int, kib: int) -> list[list[Upload]]:
    """Per uploader, its files in order (sequence 1, 2, ...), each a valid file of about ``kib`` KiB."""
    per = [[] for _ in codes]
    template = {}
    for n in range(files):
        index = n % len(codes)
        code = codes[index]
        sequence = len(per[index]) + 1
        header = samples.Header(convention="KINE", provider=code, sequence=sequence, id_fichier=str(uuid.uuid4()))
        if "count" not in template:  # records per file for the size asked (as samples.build_sized)
            one = len(samples.record_xml("KINE", samples.default_record("KINE", 1)).encode())
            template["count"] = max(1, (kib * 1024 - 700) // one)
        count = template["count"]
        # every file its own patients, so that no record is a DUP-002 of another file's
        first = n * count + 1
        data = samples.build_request(header, (samples.default_record("KINE", i) for i in range(first, first + count)))
        per[index].append(Upload(code, samples.file_name("KINE", code, sequence), data))
    return per


class Arrivals(FileSystemEventHandler):
    """Notes when each response appears in the outbox (monotonic seconds)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()

    def on_any_event(self, event) -> None:
        if event.event_type not in ("created", "moved"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        name = os.path.basename(path)
        if name.endswith("_REP.xml"):
            with self.lock:
                self.seen.setdefault(f"{os.path.basename(os.path.dirname(path))}/{name}", time.monotonic())


def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


# ----------------------------------------------------------------- 1. in-process


def make_processor(home: Path, url: str, sessions):
    """(spool, processor) of an installation made by :func:`install`, as a worker builds them."""
    from gateway.exchange.checks.pipeline import Checker
    from gateway.exchange.runtime.history import load_act_key
    from gateway.exchange.runtime.processing import Processor
    from gateway.exchange.runtime.spool import SpoolPaths

    spool = SpoolPaths(home / "inbox", home / "outbox", home / "var" / "archive", home / "var" / "aside")
    checker = Checker(home / "schemas", timezone="Europe/Luxembourg", max_file_bytes=52428800)
    processor = Processor(
        sessions,
        checker,
        spool=spool,
        timezone="Europe/Luxembourg",
        act_key=load_act_key(home / "var"),
        readers=read_sessions(url, 5000) if url.startswith("sqlite") else None,
    )
    return spool, processor


def deposit(sessions, spool, upload: Upload) -> None:
    """Places ``upload`` in its inbox and registers it, as the SFTP server does on a close."""
    spool.inbox_file(upload.code, upload.name).write_bytes(upload.data)
    with transaction(sessions) as session:
        register_received(
            session,
            provider_code=upload.code,
            name=upload.name,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            received_at=dt.datetime.now(dt.UTC),
            source="sftp",
        )


def run_inprocess(root: Path, args: argparse.Namespace) -> Result:
    from gateway.exchange.runtime.worker import WorkerService

    home = root / "inprocess"
    home.mkdir()
    codes = [make_provider_code("45", 3000 + i) for i in range(args.uploaders)]
    with database("sqlite", home, "") as url:
        sessions, engine = install(home, url, codes, "")
        spool, processor = make_processor(home, url, sessions)
        service = WorkerService(
            sessions,
            processor,
            spool,
            workers=args.workers,
            poll_interval=0.5,
            lease_s=60,
            rescan_interval=3600,
            quiet_period=2.0,
        )
        service.start()
        arrivals = Arrivals()
        observer = Observer()
        observer.schedule(arrivals, str(home / "outbox"), recursive=True)
        observer.start()
        per = workload(codes, args.files, args.kib)
        received: dict[str, float] = {}
        start = time.monotonic()
        # the uploaders deposit at once, each its own files in order
        for round_ in range(max(len(files) for files in per)):
            for files in per:
                if round_ < len(files):
                    upload = files[round_]
                    deposit(sessions, spool, upload)
                    received[f"{upload.code}/{response_name_for(upload.name)}"] = time.monotonic()
        wait_for(lambda: len(arrivals.seen) >= args.files, 600)
        seconds = max(arrivals.seen.values()) - start
        service.stop()
        observer.stop()
        observer.join()
        answered, server = count_answered(sessions), server_latencies(sessions)
        engine.dispose()
    latencies = [max(0.0, arrivals.seen[k] - t) for k, t in received.items() if k in arrivals.seen]
    return Result(f"in-process, SQLite, {args.workers} workers", args.files, seconds, latencies, answered, server)


def count_answered(sessions) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).where(RequestFile.state == FileState.ANSWERED, RequestFile.status == "ACCEPTE")
            )
            or 0
        )


def server_latencies(sessions) -> list[float]:
    with sessions() as session:
        rows = session.execute(
            select(
                RequestFile.received_at, RequestFile.claimed_at, RequestFile.answered_at, RequestFile.check_seconds
            ).where(RequestFile.answered_at.is_not(None))
        ).all()
    waits = sorted((claimed - received).total_seconds() for received, claimed, _a, _c in rows)
    works = sorted((answered - claimed).total_seconds() for _r, claimed, answered, _c in rows)
    checks = sorted(check for *_, check in rows)
    print(
        f"  server medians: wait for a worker {statistics.median(waits) * 1000:.1f} ms, "
        f"claim to commit {statistics.median(works) * 1000:.1f} ms, checks {statistics.median(checks) * 1000:.1f} ms",
        flush=True,
    )
    return [(answered - received).total_seconds() for received, _c, answered, _k in rows]


# ----------------------------------------------------------------- 2/3. live SFTP


def key_pair(folder: Path) -> tuple[paramiko.PKey, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    path = folder / "client_key"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    )
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return paramiko.Ed25519Key(filename=str(path)), public.decode() + " bench"


def run_live(root: Path, args: argparse.Namespace, kind: str) -> Result:
    home = root / f"live-{kind}"
    home.mkdir()
    pkey, public = key_pair(home)
    codes = [make_provider_code("45", 4000 + i) for i in range(args.uploaders)]
    with database(kind, home, args.postgres) as url:
        sessions, engine = install(home, url, codes, public)
        port = free_port()
        (home / "config.toml").write_text(
            f'[database]\nurl = "{url}"\n'
            f"[sftp]\nport = {port}\nmax_connections_per_address_per_second = 100000.0\n"
            "max_sessions_per_account = 100\nmax_sessions_total = 5000\nban_after_failures = 100000\n"
            f'[exchange]\nworkers = {args.workers}\n[demo]\nenabled = false\n[log]\nformat = "json"\n'
            'level = "WARNING"\n'
        )
        log = open(home / "gateway.log", "wb")  # noqa: SIM115 (open for the servers' lifetime, closed at the end)
        # split: two supervisors (the SFTP server; the workers, one process per core); else one process
        supervised = getattr(args, "supervised", False)
        # supervised: one supervisor as `gateway serve` runs in production (the SFTP server and
        # processes.workers worker processes, one per core by default)
        if args.split:
            roles = [["sftp"], ["worker"]]
        elif supervised:
            roles = [["sftp,worker"]]
        else:
            roles = [["sftp,worker", "--single-process"]]
        processes = [
            subprocess.Popen(
                [GATEWAY, "serve", "--role", *role, "--config", str(home / "config.toml")],
                stdout=log,
                stderr=log,
                cwd=home,
            )
            for role in roles
        ]
        try:
            wait_for(lambda: _answers(port), 120)
            per = workload(codes, args.files, args.kib)
            arrivals = Arrivals()
            observer = Observer()
            observer.schedule(arrivals, str(home / "outbox"), recursive=True)
            observer.start()
            received: dict[str, float] = {}
            lock = threading.Lock()
            ready = threading.Barrier(len(per) + 1)
            errors: list[BaseException] = []

            def upload_all(index: int, files: list[Upload]) -> None:
                try:
                    transport = paramiko.Transport(("127.0.0.1", port))
                    transport.connect(username=files[0].code, pkey=pkey)
                    client = paramiko.SFTPClient.from_transport(transport)
                    ready.wait()
                    began = time.monotonic()
                    for number, upload in enumerate(files):
                        if args.rate:  # each uploader its share of the total rate, staggered
                            pause = began + (number * len(per) + index) / args.rate - time.monotonic()
                            if pause > 0:
                                time.sleep(pause)
                        with client.open(f"/inbox/{upload.name}", "wb") as handle:
                            handle.write(upload.data)
                        with lock:  # the close returned: the file is received
                            received[f"{upload.code}/{response_name_for(upload.name)}"] = time.monotonic()
                    client.close()
                    transport.close()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    ready.abort()

            threads = [threading.Thread(target=upload_all, args=(i, files)) for i, files in enumerate(per) if files]
            for thread in threads:
                thread.start()
            ready.wait()
            start = time.monotonic()
            for thread in threads:
                thread.join()
            if errors:
                raise RuntimeError(f"upload failed: {errors[0]!r}")
            wait_for(lambda: len(arrivals.seen) >= args.files, 600)
            seconds = max(arrivals.seen.values()) - start
            observer.stop()
            observer.join()
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(60)
            log.close()
            shutil.copy(home / "gateway.log", Path(tempfile.gettempdir()) / f"exchange-bench-{kind}.log")
        answered, server = count_answered(sessions), server_latencies(sessions)
        engine.dispose()
    latencies = [max(0.0, arrivals.seen[k] - t) for k, t in received.items() if k in arrivals.seen]
    label = (
        f"live, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}, {args.workers} workers"
        f"{', 2 processes' if args.split else ''}{', supervised' if supervised else ''}"
        f"{f', {args.rate:g}/s offered' if args.rate else ''}"
    )
    return Result(label, args.files, seconds, latencies, answered, server)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


# ----------------------------------------------------------------- main


def main() -> None:
    from gateway.logs import configure_logging

    configure_logging("WARNING", "json")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--uploaders", type=int, default=20)
    parser.add_argument("--kib", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default="")
    parser.add_argument("--skip-inprocess", action="store_true")
    parser.add_argument(
        "--split", action="store_true", help="run the SFTP server and the workers as two processes (both cores)"
    )
    parser.add_argument(
        "--supervised",
        action="store_true",
        help="run `gateway serve --role sftp,worker` under its supervisor (worker processes, one per core)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offer this many files per second in total (0: as fast as the uploaders go)",
    )
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="exchange-bench-") as temp:
        root = Path(temp)
        if not args.skip_inprocess:
            results.append(run_inprocess(root, args))
        results.append(run_live(root, args, "sqlite"))
        if args.postgres:
            results.append(run_live(root, args, "postgres"))
    print(
        f"\n{args.files} files of ~{args.kib} KiB, {args.uploaders} uploaders, "
        f"{os.cpu_count()} cores, load average before the end {os.getloadavg()[0]:.1f}"
    )
    print("latency: from the client's close returning (file received) to its response in the outbox")
    print(HEADER)
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()

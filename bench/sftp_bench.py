"""The gateway's SFTP server against OpenSSH's sshd + internal-sftp, same client (prints a table).

    .venv/bin/python -m bench.sftp_bench [--processes 0] [--big-mb 200] [--idle 1000] [--quick] [--cipher NAME]

Each run starts, on loopback ports, OpenSSH's sshd with internal-sftp (its own config, host key
and authorized key in a temp folder) and ``gateway serve --role sftp`` (SQLite, no workers),
then measures both with OpenSSH's ``sftp -b`` client:

- one large upload (MB/s);
- 500 x 20 KiB files in one session (files/s; the gateway fsyncs and registers each file
  before answering its close, sshd does neither);
- 20 concurrent uploaders x 50 files of 20 KiB, one account each (files/s);
- 1,000 idle sessions held (paramiko clients; server memory as PSS and server CPU while idle).

The gateway is measured with durable=true (the default) and with durable=false: two
gateways (one database, like two nodes) beside sshd, the workloads rotating over the three,
best of two rounds each.
Not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko

REPO = Path(__file__).resolve().parent.parent
GATEWAY = str(Path(sys.executable).parent / "gateway")
SMALL_BYTES = 20 * 1024
UPLOADERS = 20
FILES_PER_UPLOADER = 50
SMALL_FILES = 500
#: the cipher the client asks for first (``--cipher``); None: OpenSSH's own order, whose first
#: choice, chacha20-poly1305, paramiko lacks, so the gateway gets the next one (aes128-ctr)
CLIENT_CIPHER: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(8).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


# ----------------------------------------------------------------- process figures (/proc)


def descendants(pid: int) -> list[int]:
    """``pid`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of the tree: live processes plus reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for index, p in enumerate(descendants(pid)):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        if index == 0:
            total += (int(fields[13]) + int(fields[14])) / tick
    return total


def pss_mb(pid: int) -> float:
    """Proportional set size of the tree (shared pages counted once), in MB."""
    total = 0
    for p in descendants(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# ----------------------------------------------------------------- the two servers


@dataclass
class Target:
    """A server and how the client reaches it."""

    label: str
    port: int
    process: subprocess.Popen
    known_hosts: Path
    users: list[str]
    folders: list[str]  # remote folder of uploader i
    host_key: paramiko.PKey

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_sshd(root: Path, client_pub: Path) -> Target:
    folder = root / "sshd"
    folder.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / "host_key")], check=True)
    shutil.copy(client_pub, folder / "authorized_keys")
    (folder / "authorized_keys").chmod(0o600)
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation folder
    port = free_port()
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile none\nUsePAM no\nStrictModes no\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nSubsystem sftp internal-sftp\n"
        "MaxStartups 2000\nMaxSessions 10\nLogLevel ERROR\n"
    )
    process = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-e", "-f", str(folder / "sshd_config")],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "log", "w"),  # noqa: SIM115 (sshd's log, for its lifetime)
    )
    wait_port(port)
    known = folder / "known_hosts"
    known.write_text(
        f"[127.0.0.1]:{port} {(folder / 'host_key.pub').read_text().split(' ')[0]} "
        f"{(folder / 'host_key.pub').read_text().split(' ')[1]}\n"
    )
    user = os.environ.get("USER") or "root"
    folders = []
    for i in range(UPLOADERS):
        target = root / "openssh-files" / str(i)
        target.mkdir(parents=True)
        folders.append(str(target))
    host_key = paramiko.Ed25519Key(filename=str(folder / "host_key"))
    return Target("openssh", port, process, known, [user] * UPLOADERS, folders, host_key)


def prepare_gateway(root: Path, client_pub: Path) -> list[str]:
    """A gateway installation in ``root/gateway`` with one account per uploader."""
    from gateway.accounts.mirror import AccountMirror
    from gateway.accounts.service import Accounts
    from gateway.identifiers import make_provider_code
    from gateway.store import schema
    from gateway.store.db import make_engine, make_session_factory

    home = root / "gateway"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'var' / 'gateway.db'}")
    schema.upgrade(engine)
    accounts = Accounts(
        make_session_factory(engine), AccountMirror(home / "providers" / "accounts", home / "inbox", home / "outbox")
    )
    codes = [make_provider_code("31", 100 + i) for i in range(UPLOADERS)]
    for code in codes:
        accounts.add(code, profession="LAB", name=f"Bench {code}", keys=[client_pub.read_text()])
    engine.dispose()
    return codes


def start_gateway(root: Path, codes: list[str], *, durable: bool, processes: int) -> Target:
    home = root / "gateway"
    port = free_port()
    config = home / f"config-{port}.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{home / "var" / "gateway.db"}"\n'
        f"[sftp]\nport = {port}\ndurable = {'true' if durable else 'false'}\nprocesses = {processes}\n"
        "max_connections_per_address_per_second = 100000.0\nmax_sessions_per_account = 2000\n"
        "max_sessions_total = 5000\nban_after_failures = 100000\n"
        # no workers take files out of the inbox here: quotas high enough for every round
        "max_inbox_files_per_provider = 1000000\nmax_inbox_bytes_per_provider = 1099511627776\n"
        # 20 uploaders and the idle sessions log in at once from one address
        "max_unauthenticated_connections = 5000\nmax_unauthenticated_per_address = 5000\n"
        '[exchange]\nmax_file_bytes = 1073741824\n[demo]\nenabled = false\n[log]\nformat = "json"\n'
    )
    process = subprocess.Popen(
        [GATEWAY, "serve", "--role", "sftp", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(home / f"log-{port}", "w"),  # noqa: SIM115 (the server's log, for its lifetime)
    )
    wait_port(port)
    known = home / f"known_hosts-{port}"
    host_key = paramiko.Ed25519Key(filename=str(home / "var" / "ssh_host_ed25519_key"))
    known.write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    label = f"gateway{'' if durable else ' durable=false'}"
    return Target(label, port, process, known, codes, ["/inbox"] * UPLOADERS, host_key)


# ----------------------------------------------------------------- workloads


def sftp(target: Target, index: int, key: Path, commands: str) -> None:
    result = subprocess.run(
        [
            "sftp",
            "-b",
            "-",
            "-P",
            str(target.port),
            "-i",
            str(key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={target.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-F",
            "/dev/null",
            *(["-c", CLIENT_CIPHER] if CLIENT_CIPHER else []),
            f"{target.users[index]}@127.0.0.1",
        ],
        input=commands,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{target.label}: sftp failed: {result.stderr[-500:]}")


def timed(target: Target, work) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) of ``work()``."""
    cpu = cpu_seconds(target.process.pid)
    start = time.perf_counter()
    work()
    return time.perf_counter() - start, cpu_seconds(target.process.pid) - cpu


def big_upload(target: Target, key: Path, big: Path, run: str) -> dict:
    wall, cpu = timed(target, lambda: sftp(target, 0, key, f"put {big} {target.folders[0]}/big-{run}.xml\n"))
    return {"big MB/s": big.stat().st_size / 1e6 / wall, "big cpu s": cpu}


def small_files(target: Target, key: Path, small: Path, run: str) -> dict:
    batch = "".join(f"put {small} {target.folders[1]}/s-{run}-{i}.xml\n" for i in range(SMALL_FILES))
    wall, cpu = timed(target, lambda: sftp(target, 1, key, batch))
    return {"small files/s": SMALL_FILES / wall, "small cpu s": cpu}


def concurrent_uploaders(target: Target, key: Path, small: Path, run: str) -> dict:
    def one(i: int) -> None:
        sftp(
            target,
            i,
            key,
            "".join(f"put {small} {target.folders[i]}/c-{run}-{i}-{n}.xml\n" for n in range(FILES_PER_UPLOADER)),
        )

    def all_of_them() -> None:
        with concurrent.futures.ThreadPoolExecutor(UPLOADERS) as pool:
            list(pool.map(one, range(UPLOADERS)))

    wall, cpu = timed(target, all_of_them)
    return {"20x50 files/s": UPLOADERS * FILES_PER_UPLOADER / wall, "20x50 cpu s": cpu, "20x50 cpu/wall": cpu / wall}


def idle_sessions(target: Target, key: Path, count: int) -> dict:
    pkey = paramiko.PKey.from_path(key)
    transports: list[paramiko.Transport] = []
    failures = 0
    lock = threading.Lock()
    before = pss_mb(target.process.pid)

    def connect(i: int) -> None:
        nonlocal failures
        try:
            transport = paramiko.Transport(("127.0.0.1", target.port))
            transport.connect(hostkey=target.host_key, username=target.users[i % UPLOADERS], pkey=pkey)
            paramiko.SFTPClient.from_transport(transport).listdir(target.folders[i % UPLOADERS])
            with lock:
                transports.append(transport)
        except Exception:  # noqa: BLE001 - whatever stops a connection counts as its failure
            with lock:
                failures += 1

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(connect, range(count)))
    opened = time.perf_counter() - start
    time.sleep(2)  # let the server settle before measuring the idle cost
    cpu = cpu_seconds(target.process.pid)
    time.sleep(10)
    idle_cpu = cpu_seconds(target.process.pid) - cpu
    held = sum(1 for t in transports if t.is_active())
    memory = pss_mb(target.process.pid)
    for transport in transports:
        transport.close()
    return {
        "idle held": held,
        "idle failures": failures + count - held,
        "idle open s": opened,
        "idle MB": memory,
        "idle MB before": before,
        "idle cpu %": idle_cpu / 10 * 100,
    }


# ----------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=0, help="gateway sftp.processes (0: one per core)")
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each workload (the best is kept)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the bench itself")
    parser.add_argument("--cipher", help="the client's cipher for both servers (e.g. aes128-gcm@openssh.com)")
    args = parser.parse_args()
    global CLIENT_CIPHER
    CLIENT_CIPHER = args.cipher
    if args.quick:
        args.big_mb, args.idle, args.rounds = 20, 50, 1
    report(measure(big_mb=args.big_mb, idle=args.idle, rounds=args.rounds, processes=args.processes), args)


def measure(*, big_mb: int, idle: int, rounds: int, processes: int, relaxed: bool = True) -> dict[str, dict]:
    """Figures by server label: sshd, the gateway (durable) and, with ``relaxed``, durable=false.

    ``idle`` = 0 skips the idle sessions.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by both servers

    root = Path(tempfile.mkdtemp(prefix="bench-sftp-"))
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "client_key")], check=True)
        key, pub = root / "client_key", root / "client_key.pub"
        big, small = root / "big.bin", root / "small.bin"
        with open(big, "wb") as handle:
            for _ in range(big_mb):
                handle.write(os.urandom(1024 * 1024))
        small.write_bytes(os.urandom(SMALL_BYTES))
        codes = prepare_gateway(root, pub)
        # All servers run side by side and the workloads rotate over them (best of
        # ``rounds``), so that a change in the machine's load does not favour one of them.
        targets = [start_sshd(root, pub), start_gateway(root, codes, durable=True, processes=processes)]
        if relaxed:
            targets.append(start_gateway(root, codes, durable=False, processes=processes))
        try:
            results: dict[str, dict] = {t.label: {} for t in targets}
            workloads = (
                ("big", lambda t, run: big_upload(t, key, big, run)),
                ("small", lambda t, run: small_files(t, key, small, run)),
                ("20x50", lambda t, run: concurrent_uploaders(t, key, small, run)),
            )
            for name, workload in workloads:
                for round_ in range(rounds):
                    for target in targets:
                        run = f"{target.label.replace(' ', '-').replace('=', '')}-{round_}"
                        figures = workload(target, run)
                        speed = next(k for k in figures if k.endswith("/s"))
                        best = results[target.label]
                        if figures[speed] > best.get(speed, 0):
                            best.update(figures)
                        print(f"{target.label} {name} round {round_ + 1}: {figures[speed]:.1f} {speed}", flush=True)
            for target in targets[:2] if idle else ():  # durability plays no part in idle sessions
                results[target.label].update(idle_sessions(target, key, idle))
                print(f"{target.label} idle: {results[target.label]['idle held']:.0f} held", flush=True)
        finally:
            for target in targets:
                target.stop()
        return results
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(results: dict[str, dict], args: argparse.Namespace) -> None:
    from gateway.sftp.service import process_count

    rows = [
        ("big MB/s", f"{args.big_mb} MB upload, MB/s"),
        ("small files/s", f"{SMALL_FILES} x 20 KiB, one session, files/s"),
        ("20x50 files/s", f"{UPLOADERS} uploaders x {FILES_PER_UPLOADER} files, files/s"),
        ("20x50 cpu/wall", "  server CPU / wall time (cores busy)"),
        ("idle held", f"{args.idle} idle sessions held"),
        ("idle failures", "  sessions that failed"),
        ("idle MB", "  server memory (PSS), MB"),
        ("idle cpu %", "  server CPU while idle, % of a core"),
    ]
    labels = list(results)
    print()
    print(
        f"gateway: sftp.processes={args.processes} ({process_count(args.processes)} processes), SQLite, "
        f"no workers; {os.cpu_count()} cores; client: {subprocess.run(['ssh', '-V'], capture_output=True, text=True).stderr.strip()}"
    )
    print(f"{'':44}" + "".join(f"{label:>24}" for label in labels) + f"{'ratio gw/openssh':>20}")
    for key, title in rows:
        values = [results[label].get(key) for label in labels]
        cells = "".join(f"{v:>24.1f}" if v is not None else f"{'-':>24}" for v in values)
        ratio = ""
        if key.endswith("/s") and values[0] and values[1]:
            ratio = f"{values[1] / values[0]:>19.2f}x"
        print(f"{title:44}{cells}{ratio}")


if __name__ == "__main__":
    main()

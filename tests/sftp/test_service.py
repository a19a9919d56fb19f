"""``gateway serve --role sftp`` and ``gateway sftp fingerprint`` as an operator runs them."""

from __future__ import annotations

import concurrent.futures
import io
import json
import shlex
import signal
import subprocess
import threading

import paramiko
import pytest
from sqlalchemy import select

from gateway.store.models.exchange import RequestFile
from tests.support import GATEWAY, clean_env, free_port, run_gateway, wait_until


class Serve:
    """``gateway serve --role sftp`` in a subprocess."""

    def __init__(self, project, **env: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [GATEWAY, "serve", "--role", "sftp", "--config", str(project.config)],
            env=clean_env(
                {
                    "GATEWAY_SFTP__PORT": str(self.port),
                    "GATEWAY_SFTP__MAX_CONNECTIONS_PER_ADDRESS_PER_SECOND": "1000",
                    **env,
                }
            ),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, sink in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True).start()

    def events(self) -> list[dict]:
        events = []
        for line in list(self.stderr):
            try:  # several processes share one stderr; a line may come cut by another's write
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def ready(self) -> bool:
        return any(e.get("event") == "gateway ready" for e in self.events())

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def migrated(project, engine):
    return project


def test_fingerprint_is_stable_and_the_key_private(migrated):
    from gateway.sftp.hostkey import fingerprint, load_or_create_host_key

    printed = run_gateway("sftp", "fingerprint", config=migrated.config)
    assert printed.returncode == 0, printed.stderr
    key = migrated.root / "var" / "ssh_host_ed25519_key"
    assert key.stat().st_mode & 0o777 == 0o600
    loaded = load_or_create_host_key(key)  # kept, not generated again
    assert loaded.get_name() == "ssh-ed25519"
    assert (
        printed.stdout.split()[0]
        == fingerprint(loaded)
        == subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True).stdout.split()[1]
    )


def test_the_printed_demo_command_works_and_stop_is_clean(migrated, tmp_path):
    server = Serve(migrated, GATEWAY_DEMO__ENABLED="true")
    try:
        wait_until(server.ready, timeout_s=60)
        known_hosts = migrated.root / "var" / "demo" / "known_hosts"
        host_line = known_hosts.read_text()
        assert host_line.startswith(f"[127.0.0.1]:{server.port} ssh-ed25519 ")
        fingerprint = run_gateway("sftp", "fingerprint", config=migrated.config).stdout.split()[0]
        assert fingerprint in "".join(server.stderr)  # logged at start
        (demo_line,) = [line for line in server.stdout if line.startswith("demo LAB")]
        command = shlex.split(demo_line.split(": ", 1)[1])
        local = tmp_path / "f.xml"
        local.write_bytes(b"<x/>")
        result = subprocess.run(
            [command[0], "-b", "-", "-o", "BatchMode=yes", *command[1:]],
            input=f"put {local} /inbox/f.xml\nls /inbox\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "f.xml" in result.stdout
    finally:
        status = server.stop()
    assert status == 0, "".join(server.stderr)
    assert any(e.get("event") == "sftp stopped" for e in server.events())


@pytest.mark.heavy
def test_several_processes_share_the_port(migrated, make_provider, sessions, tmp_path):
    providers = [make_provider("LAB") for _ in range(3)]
    server = Serve(migrated, GATEWAY_SFTP__PROCESSES="2")
    try:
        wait_until(server.ready, timeout_s=90)
        nodes = {e["node"] for e in server.events() if e.get("event") == "sftp listening"}
        assert len(nodes) == 2
        host_key = paramiko.Ed25519Key(filename=str(migrated.root / "var" / "ssh_host_ed25519_key"))

        def upload(job: tuple[int, int]) -> None:
            provider, index = providers[job[0]], job[1]
            transport = paramiko.Transport(("127.0.0.1", server.port))
            transport.connect(hostkey=host_key, username=provider.code, pkey=provider.pkey())
            client = paramiko.SFTPClient.from_transport(transport)
            client.putfo(io.BytesIO(b"<x/>" * 100), f"/inbox/f{index}.xml", confirm=False)
            transport.close()

        jobs = [(p, i) for p in range(3) for i in range(6)]
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            list(pool.map(upload, jobs))
        with sessions() as session:
            assert len(session.scalars(select(RequestFile)).all()) == len(jobs)
        served = {e.get("node") for e in server.events() if e.get("event") == "file received"}
        assert served == nodes  # the kernel spread the connections over both processes
    finally:
        status = server.stop()
    assert status == 0, "".join(server.stderr)

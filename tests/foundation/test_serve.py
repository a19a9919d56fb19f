"""``gateway serve``: demo accounts on first start, clean stop on SIGTERM and SIGINT."""

import json
import signal
import subprocess
import threading

import pytest

from tests.support import GATEWAY, clean_env, free_port, wait_until


class Server:
    """``gateway serve`` in a subprocess with its output collected line by line."""

    def __init__(self, project, *args: str):
        env = clean_env(
            {
                "GATEWAY_DEMO__ENABLED": "true",
                "GATEWAY_SFTP__PORT": str(free_port()),
                "GATEWAY_WEB__PORT": str(free_port()),
            }
        )
        self.process = subprocess.Popen(
            [GATEWAY, "serve", "--config", str(project.config), *args],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, sink in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in list(self.stderr) if line.startswith("{")]

    def ready(self) -> bool:
        return any(e.get("event") == "gateway ready" for e in self.events())

    def stop(self, sig=signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


@pytest.fixture
def migrated(project, engine):
    return project


@pytest.mark.parametrize("sig", [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")])
def test_first_start_creates_demo_accounts_and_stops_cleanly(migrated, sig):
    server = Server(migrated)
    try:
        wait_until(server.ready, timeout_s=60)
    finally:
        status = server.stop(sig)
    assert status == 0, "".join(server.stderr)
    printed = [line for line in server.stdout if line.startswith("demo ")]
    assert len(printed) == 3, server.stdout
    for code in ("31000425", "45001237", "47000070"):
        key = migrated.root / "var" / "demo" / code / "id_ed25519"
        assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
        line = next(line for line in printed if code in line)
        assert f"sftp -i {key} -P " in line and f"{code}@127.0.0.1" in line
        assert (migrated.root / "providers" / "accounts" / code / "account.json").is_file()
    events = server.events()
    started = [e["service"] for e in events if e.get("event") == "service started"]
    stopped = [e["service"] for e in events if e.get("event") == "service stopped"]
    assert sorted(started) == sorted(stopped), "every started service is stopped before exit"


def test_second_start_keeps_the_demo_keys(migrated):
    first = Server(migrated)
    wait_until(first.ready, timeout_s=60)
    first.stop()
    key = migrated.root / "var" / "demo" / "45001237" / "id_ed25519"
    before = key.read_bytes()
    second = Server(migrated)
    wait_until(second.ready, timeout_s=60)
    assert second.stop() == 0
    assert key.read_bytes() == before


def test_serve_refuses_an_unknown_role_and_an_old_schema(project):
    old = subprocess.run(
        [GATEWAY, "serve", "--config", str(project.config)], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert old.returncode == 2 and "gateway db upgrade" in old.stderr
    bad = subprocess.run(
        [GATEWAY, "serve", "--role", "sftp,ftp", "--config", str(project.config)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "ftp" in bad.stderr

"""``gateway serve`` runs each role in its own process: killing one leaves the others
answering, the supervisor restarts it, and nothing outlives the supervisor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import paramiko
import pytest

from gateway.supervisor.status import ChildState, read_statuses
from tests.foundation.test_supervisor import gone
from tests.support import GATEWAY, clean_env, free_port, wait_until

DEMO_KINE = "45001237"


class Gateway:
    """``gateway serve`` (the supervisor) in a subprocess, its standard error collected."""

    def __init__(self, project, *args: str, **env: str) -> None:
        self.root = project.root
        self.sftp_port, self.web_port, self.portal_port = free_port(), free_port(), free_port()
        self.env = {
            "GATEWAY_DEMO__ENABLED": "true",
            "GATEWAY_SFTP__PORT": str(self.sftp_port),
            "GATEWAY_WEB__PORT": str(self.web_port),
            "GATEWAY_PORTAL__PORT": str(self.portal_port),
            "GATEWAY_PROCESSES__WORKERS": "1",
            "GATEWAY_PROCESSES__RESTART_DELAY": "0.2",
            **env,
        }
        self.process = subprocess.Popen(
            [GATEWAY, "serve", "--config", str(project.config), *args],
            env=clean_env(self.env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stderr.readline, "")), daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def ready(self) -> bool:
        return any(e["event"] == "gateway ready" and "process" not in e for e in self.events())

    def children(self) -> dict[str, object]:
        return {s.name: s for s in read_statuses(self.root / "var" / "processes")}

    def running(self, name: str, other_than: int | None = None) -> bool:
        child = self.children().get(name)
        return child is not None and child.state is ChildState.RUNNING and child.pid != other_than

    def healthz(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/healthz", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def portal_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.portal_port}/login", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def sftp_login(self) -> bool:
        key = paramiko.Ed25519Key(filename=str(self.root / "var" / "demo" / DEMO_KINE / "id_ed25519"))
        transport = paramiko.Transport(("127.0.0.1", self.sftp_port))
        try:
            transport.connect(username=DEMO_KINE, pkey=key)
            client = paramiko.SFTPClient.from_transport(transport)
            return sorted(client.listdir("/")) == ["inbox", "outbox"]
        except (paramiko.SSHException, OSError):
            return False
        finally:
            transport.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(120)


@pytest.fixture
def migrated(project, engine):
    return project


def limits_of(pid: int) -> dict[str, str]:
    """Soft limits by name, as /proc/PID/limits shows them."""
    rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {row[:26].strip(): row[26:47].strip() for row in rows}


def umask_of(pid: int) -> str:
    return next(
        line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Umask:")
    )


def test_a_killed_role_is_restarted_while_the_others_answer(migrated):
    gateway = Gateway(migrated)
    seen: set[int] = set()
    try:
        wait_until(gateway.ready, timeout_s=120, interval_s=0.2)
        children = gateway.children()
        assert sorted(children) == ["portal-1", "sftp-1", "watcher-1", "web-1", "worker-1"]
        assert gateway.portal_answers()  # its own listener
        seen |= {c.pid for c in children.values()}
        settings = migrated.settings(**gateway.env)
        sftp_limits = limits_of(children["sftp-1"].pid)
        assert sftp_limits["Max address space"] == str(settings.processes.memory_max["sftp"])
        assert sftp_limits["Max open files"] == str(settings.processes.open_files["sftp"])
        assert limits_of(children["web-1"].pid)["Max open files"] == str(settings.processes.open_files["web"])
        assert umask_of(gateway.process.pid) == umask_of(children["worker-1"].pid) == "0077"

        for role in ("sftp", "web", "worker"):
            victim = gateway.children()[f"{role}-1"].pid
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda victim=victim: gone(victim), timeout_s=10)
            # the others do not notice
            assert role == "sftp" or gateway.sftp_login(), f"SFTP down after {role} was killed"
            assert role == "web" or gateway.healthz(), f"web down after {role} was killed"
            wait_until(
                lambda role=role, victim=victim: gateway.running(f"{role}-1", other_than=victim),
                timeout_s=120,
                interval_s=0.2,
            )
            seen.add(gateway.children()[f"{role}-1"].pid)
            assert gateway.sftp_login() and gateway.healthz()
        assert {c.name: c.starts for c in gateway.children().values()} == {
            "sftp-1": 2,
            "web-1": 2,
            "worker-1": 2,
            "watcher-1": 1,
            "portal-1": 1,
        }
    finally:
        status = gateway.stop()
    assert status == 0, "".join(gateway.lines[-30:])
    assert all(gone(pid) for pid in seen), "a child outlived the supervisor"
    assert {c.state for c in gateway.children().values()} == {ChildState.STOPPED}
    ended = [(e["process"], e["status"]) for e in gateway.events() if e["event"] == "process ended"]
    assert ended == [("sftp-1", "killed by SIGKILL"), ("web-1", "killed by SIGKILL"), ("worker-1", "killed by SIGKILL")]
    assert all(line.startswith("{") for line in gateway.lines), "one JSON log stream"


def test_killing_the_supervisor_kills_its_children(migrated):
    gateway = Gateway(migrated, "--role", "watcher,web")
    wait_until(gateway.ready, timeout_s=120, interval_s=0.2)
    pids = [c.pid for c in gateway.children().values()]
    assert len(pids) == 2
    assert gateway.stop(signal.SIGKILL) == -signal.SIGKILL
    wait_until(lambda: all(gone(pid) for pid in pids), timeout_s=10)


@pytest.mark.heavy
def test_a_role_over_its_memory_limit_is_given_up_and_status_says_so(migrated):
    gateway = Gateway(
        migrated,
        "--role",
        "web,watcher",
        GATEWAY_PROCESSES__MEMORY_MAX="watcher=100000000",  # below what Python needs to start
        GATEWAY_PROCESSES__CRASH_LOOP_EXITS="2",
    )
    try:
        wait_until(
            lambda: (
                gateway.children().get("watcher-1") is not None
                and gateway.children()["watcher-1"].state is ChildState.GIVEN_UP
            ),
            timeout_s=120,
            interval_s=0.2,
        )
        wait_until(gateway.ready, timeout_s=120, interval_s=0.2)
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{gateway.web_port}/status.json")
        ) as response:
            body = json.load(response)
    except urllib.error.HTTPError as refused:  # 503: a check failed, same body
        body = json.load(refused)
    finally:
        status = gateway.stop()
    processes = next(c for c in body["checks"] if c["name"] == "processes")
    assert processes["result"] == "fail" and processes["detail"].startswith("watcher-1 given up"), processes
    assert status == 1
    assert any(
        e["event"] == "process given up: not restarted" and e["process"] == "watcher-1" for e in gateway.events()
    )

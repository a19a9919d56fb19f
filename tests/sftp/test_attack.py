"""One provider account against the whole gateway: ``gateway serve --role sftp,web`` keeps serving.

On one connection the attacker opens 10,000 handles, 500 channels and then sends beyond its
window. Each is refused at its cap (64 handles, 4 channels, disconnection), while another
provider logs in and uploads and ``/healthz`` answers throughout, and the server's descriptors
stay few.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import paramiko

from tests.sftp.test_resources import OPENS, open_files, push_beyond_the_window
from tests.support import GATEWAY, clean_env, free_port, wait_until


class Serve:
    """``gateway serve --role sftp,web`` in a subprocess."""

    def __init__(self, project) -> None:
        self.sftp_port, self.web_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [GATEWAY, "serve", "--role", "sftp,web", "--config", str(project.config)],
            env=clean_env(
                {
                    "GATEWAY_SFTP__PORT": str(self.sftp_port),
                    "GATEWAY_WEB__PORT": str(self.web_port),
                    "GATEWAY_SFTP__MAX_CONNECTIONS_PER_ADDRESS_PER_SECOND": "1000",
                }
            ),
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(iter(self.process.stderr.readline, "")), daemon=True).start()
        self.host_key = None

    def ready(self) -> bool:
        for line in list(self.stderr):
            try:
                if json.loads(line).get("event") == "gateway ready":
                    return True
            except ValueError:
                continue
        return False

    def descriptors(self) -> int:
        """Open descriptors of the serve process and its children."""
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids += [int(p) for p in children.read_text().split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                total += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                continue
        return total

    def transport(self, login) -> paramiko.Transport:
        transport = paramiko.Transport(("127.0.0.1", self.sftp_port))
        transport.connect(hostkey=self.host_key, username=login.code, pkey=login.pkey())
        return transport

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


class Bystander:
    """Another provider logging in and uploading, and a monitor asking /healthz, in a loop."""

    def __init__(self, serve: Serve, login) -> None:
        self.serve, self.login = serve, login
        self.rounds = 0
        self.failures: list[str] = []
        self.most_descriptors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.serve.web_port}", timeout=10) as web:
            while not self._stop.is_set():
                self.most_descriptors = max(self.most_descriptors, self.serve.descriptors())
                try:
                    assert web.get("/healthz").status_code == 200
                    transport = self.serve.transport(self.login)
                    client = paramiko.SFTPClient.from_transport(transport)
                    client.putfo(io.BytesIO(b"<x/>"), f"/inbox/f{self.rounds}.xml", confirm=True)
                    transport.close()
                    self.rounds += 1
                except Exception as exc:  # noqa: BLE001 - every failure is what the test reports
                    self.failures.append(repr(exc))
                self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)


def test_one_account_cannot_take_the_gateway_down(project, engine, make_provider):
    attacker, other = make_provider("LAB"), make_provider("KINE")
    outbox = project.root / "outbox" / attacker.code
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "R_REP.xml").write_bytes(b"<r/>")
    serve = Serve(project)
    try:
        wait_until(serve.ready, timeout_s=60)
        serve.host_key = paramiko.Ed25519Key(filename=str(project.root / "var" / "ssh_host_ed25519_key"))
        bystander = Bystander(serve, other)
        wait_until(lambda: bystander.rounds >= 1, timeout_s=30)
        transport = serve.transport(attacker)

        handles, refusals = open_files(transport, "/outbox/R_REP.xml", OPENS)
        assert (handles, len(refusals)) == (64, OPENS - 64)

        channels, refused = [], 0
        for _ in range(500):
            try:
                channels.append(transport.open_session(timeout=10))
            except paramiko.ChannelException:
                refused += 1
        assert (len(channels), refused) == (3, 497)  # the SFTP session's channel is the fourth

        push_beyond_the_window(transport, channels[0], 4 * channels[0].out_window_size)
        wait_until(lambda: not transport.is_active(), timeout_s=30)

        rounds = bystander.rounds
        wait_until(lambda: bystander.rounds >= rounds + 2, timeout_s=30)  # still served after the attack
        bystander.stop()
        assert bystander.failures == []
        assert bystander.most_descriptors < 400, bystander.most_descriptors
    finally:
        status = serve.stop()
    assert status == 0, "".join(serve.stderr)[-3000:]

"""Crash safety of the SFTP upload: ``gateway serve`` killed between placing an upload and registering it.

The process kills itself at ``sftp_after_link`` (gateway/exchange/faults.py): the upload is
linked onto its final name in the inbox and fsynced, its row not yet committed, its temp file
still there. After a restart the provider uploads its next file. The rescued file must keep its
turn (checked before the later one, so its sequence number is judged in order: no ENT-004), and
no temp file of the dead process may stay in the inbox.
"""

from __future__ import annotations

import io
import signal
import subprocess
from pathlib import Path

import paramiko
import pytest

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.exchange.runtime.reception import response_name_for
from gateway.store.models.exchange import FileState
from tests.exchange.runtime.conftest import KINE, request
from tests.sftp.conftest import write_key_pair
from tests.support import GATEWAY, clean_env, free_port, wait_until


class Gateway:
    """``gateway serve`` on its own ports, writing its log to a file."""

    def __init__(self, project, log: Path, port: int, *, roles: str, fault: str = "") -> None:
        self.port = port
        self.log = log
        self.readies = self._readies()
        env = clean_env(
            {
                "GATEWAY_SFTP__PORT": str(port),
                "GATEWAY_SFTP__MAX_CONNECTIONS_PER_ADDRESS_PER_SECOND": "1000",
                "GATEWAY_EXCHANGE__WORKERS": "2",
                "GATEWAY_EXCHANGE__POLL_INTERVAL": "0.05",
                "GATEWAY_EXCHANGE__WATCH_QUIET_PERIOD": "0.2",
                "GATEWAY_EXCHANGE__RESCAN_INTERVAL": "0.5",
                **({"GATEWAY_FAULT": fault} if fault else {}),
            }
        )
        with open(log, "ab") as sink:
            self.process = subprocess.Popen(
                [GATEWAY, "serve", "--role", roles, "--config", str(project.config)],
                env=env,
                stdout=sink,
                stderr=sink,
                cwd=project.root,
            )

    def _readies(self) -> int:
        return self.log.read_bytes().count(b"gateway ready") if self.log.exists() else 0

    def wait_ready(self) -> None:
        wait_until(
            lambda: self._readies() > self.readies or self.process.poll() is not None, timeout_s=60, interval_s=0.05
        )
        assert self.process.poll() is None, self.log.read_text()[-3000:]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


def upload(project, port: int, key: Path, name: str, data: bytes) -> None:
    host_key = paramiko.Ed25519Key(filename=str(project.root / "var" / "ssh_host_ed25519_key"))
    transport = paramiko.Transport(("127.0.0.1", port))
    try:
        transport.connect(hostkey=host_key, username=KINE, pkey=paramiko.PKey.from_path(key))
        client = paramiko.SFTPClient.from_transport(transport)
        client.putfo(io.BytesIO(data), f"/inbox/{name}", confirm=True)
    finally:
        transport.close()


def test_an_upload_placed_but_not_registered_keeps_its_turn(project, runtime, tmp_path):
    key, public = write_key_pair(tmp_path / "keys")
    settings = project.settings()
    Accounts(
        runtime.sessions, AccountMirror(settings.accounts_path, settings.paths.inbox, settings.paths.outbox)
    ).add_key(KINE, public)
    files = [request("KINE", sequence=n, records=2, first_record=10 * n) for n in (1, 2, 3)]
    inbox = runtime.spool.inbox / KINE
    log, port = tmp_path / "gateway.log", free_port()

    crashed = Gateway(project, log, port, roles="sftp,worker", fault="sftp_after_link:2")
    crashed.wait_ready()
    upload(project, port, key, *files[0])
    with pytest.raises((EOFError, OSError, paramiko.SSHException)):
        upload(project, port, key, *files[1])  # killed before its close was answered
    assert crashed.process.wait(30) == -signal.SIGKILL
    # the crash window really happened: placed under its name, linked to its temp file, no row
    assert (inbox / files[1][0]).stat().st_nlink == 2
    assert [p.name for p in inbox.iterdir() if p.name.startswith(".upload-")]
    assert files[1][0] not in [row.name for row in runtime.rows()]

    restarted = Gateway(project, log, port, roles="sftp,worker,watcher")
    try:
        restarted.wait_ready()
        assert not [p.name for p in inbox.iterdir() if p.name.startswith(".")]  # no temp file left
        upload(project, port, key, *files[2])
        wait_until(lambda: len(runtime.rows()) == 3 and runtime.all_answered(), timeout_s=120, interval_s=0.1)
    finally:
        assert restarted.stop() == 0, log.read_text()[-3000:]

    rows = runtime.rows()
    assert [row.name for row in rows] == [name for name, _ in files]  # registered, so claimed, in order
    assert [row.status for row in rows] == ["ACCEPTE"] * 3, [row.status for row in rows]
    assert all(row.state == FileState.ANSWERED for row in rows)
    assert rows[1].answered_at <= rows[2].answered_at
    for name, _ in files:
        assert b"<Statut>ACCEPTE</Statut>" in runtime.spool.outbox_file(KINE, response_name_for(name)).read_bytes()

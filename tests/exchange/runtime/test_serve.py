"""End to end through ``gateway serve``: an SFTP upload is answered in /outbox, collected, sent again."""

from __future__ import annotations

import signal
import socket
import subprocess

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.exchange.runtime.reception import response_name_for
from gateway.identifiers import make_provider_code
from tests.exchange.runtime.conftest import request
from tests.support import GATEWAY, clean_env, free_port, wait_until


def ssh_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(4) == b"SSH-"
    except OSError:
        return False


def test_an_upload_is_answered_collected_and_its_name_used_again(project, engine, sessions, tmp_path):
    code = make_provider_code("45", 7001)
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    root = project.root
    Accounts(sessions, AccountMirror(root / "providers" / "accounts", root / "inbox", root / "outbox")).add(
        code, profession="KINE", name="End to end", keys=[public.decode()]
    )
    port = free_port()
    log = tmp_path / "gateway.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [GATEWAY, "serve", "--role", "sftp,worker,watcher", "--config", str(project.config)],
            env=clean_env({"GATEWAY_SFTP__PORT": str(port), "GATEWAY_EXCHANGE__WATCH_QUIET_PERIOD": "0.3"}),
            stdout=sink,
            stderr=sink,
            cwd=root,
        )
    try:
        wait_until(lambda: ssh_answers(port), timeout_s=60, interval_s=0.2)
        transport = paramiko.Transport(("127.0.0.1", port))
        transport.connect(username=code, pkey=paramiko.Ed25519Key(filename=str(tmp_path / "key")))
        client = paramiko.SFTPClient.from_transport(transport)
        name, data = request("KINE", provider=code, records=2)
        response = f"/outbox/{response_name_for(name)}"

        def answer() -> bytes | None:
            try:
                with client.open(response, "rb") as handle:
                    return handle.read()
            except FileNotFoundError:
                return None

        with client.open(f"/inbox/{name}", "wb") as handle:
            handle.write(data)
        first = wait_until(answer, timeout_s=30)
        assert b"<Statut>ACCEPTE</Statut>" in first
        assert client.listdir("/inbox") == []
        client.remove(response)  # collected: the name is free again
        with client.open(f"/inbox/{name}", "wb") as handle:
            handle.write(data)
        second = wait_until(answer, timeout_s=30)
        assert b"<Statut>DOUBLON</Statut>" in second and f'nomFichier="{name}"'.encode() in second
        client.close()
        transport.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]

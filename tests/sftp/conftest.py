"""A live SFTP server on 127.0.0.1 (free port) over the test database, and provider accounts.

``gateway_sftp`` starts the real server in this process; ``provider`` creates an account with
an ed25519 key pair (files written as OpenSSH writes them) and, when asked, a password; ``connect`` opens a
paramiko SFTPClient and ``openssh_sftp`` runs OpenSSH's ``sftp -b`` against the server.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.cli.context import AppContext
from gateway.cli.sftp import server_config
from gateway.sftp.hostkey import load_or_create_host_key, write_known_hosts
from gateway.sftp.server import ServerConfig, SftpServer, node_name
from tests.support import wait_until

PASSWORD = "correct horse battery staple"
#: valid provider codes per profession (spec/exchange.md section 5)
CODES = {
    "LAB": ["31000425", "31000433", "31000441", "31000458"],
    "KINE": ["45001237", "45001245"],
    "DIET": ["47000070"],
}


@dataclass(frozen=True)
class ProviderLogin:
    """An account and the files a client logs in with."""

    code: str
    profession: str
    key_file: Path
    password: str

    def pkey(self) -> paramiko.PKey:
        return paramiko.PKey.from_path(self.key_file)


def write_key_pair(folder: Path, kind: str = "ed25519") -> tuple[Path, str]:
    """A private key file (OpenSSH format, 0600) and its public line."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind.startswith("rsa"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:] or 3072))
    else:
        raise ValueError(kind)
    path = folder / f"id_{kind}"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    )
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path.with_suffix(".pub").write_bytes(public + b"\n")
    return path, public.decode()


@pytest.fixture
def accounts(project, sessions) -> Accounts:
    s = project.settings()
    return Accounts(sessions, AccountMirror(s.accounts_path, s.paths.inbox, s.paths.outbox), actor="test")


@pytest.fixture
def make_provider(accounts, tmp_path) -> Callable[..., ProviderLogin]:
    used: set[str] = set()

    def make(
        profession: str = "LAB", *, kind: str = "ed25519", password: str | None = None, networks: tuple[str, ...] = ()
    ) -> ProviderLogin:
        code = next(c for c in CODES[profession] if c not in used)
        used.add(code)
        key_file, public = write_key_pair(tmp_path / "keys" / code, kind)
        accounts.add(
            code,
            profession=profession,
            name=f"Test {code}",
            keys=[public],
            password=password,
            allowed_networks=list(networks),
        )
        return ProviderLogin(code, profession, key_file, password or "")

    return make


@pytest.fixture
def provider(make_provider) -> ProviderLogin:
    return make_provider("LAB")


class LiveServer:
    """The gateway's SFTP server running in this process."""

    def __init__(self, config: ServerConfig, sessions: sessionmaker[Session], known_hosts: Path) -> None:
        self.config = config
        self.known_hosts = known_hosts
        self.host_key = load_or_create_host_key(config.host_key_path)
        self.server = SftpServer(config, sessions, self.host_key, node=node_name())
        self.server.start()
        write_known_hosts(known_hosts, self.host_key, "127.0.0.1", self.server.port)

    @property
    def port(self) -> int:
        return self.server.port

    def inbox(self, code: str) -> Path:
        return self.config.inbox_root / code

    def outbox(self, code: str) -> Path:
        return self.config.outbox_root / code

    def transport(
        self,
        login: ProviderLogin | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        key: paramiko.PKey | None = None,
        **options,
    ) -> paramiko.Transport:
        """A connected, authenticated paramiko transport (raises on failure)."""
        transport = paramiko.Transport(("127.0.0.1", self.port), **options)
        try:
            transport.connect(
                hostkey=self.host_key,
                username=user or login.code,
                pkey=key if key is not None or password is not None else login.pkey(),
                password=password,
            )
        except BaseException:
            transport.close()  # as a client gives up after a refusal
            raise
        return transport

    def client(self, login: ProviderLogin, **kwargs) -> paramiko.SFTPClient:
        transport = self.transport(login, **kwargs)
        return paramiko.SFTPClient.from_transport(transport)

    def openssh(
        self, login: ProviderLogin, commands: str, *, options: tuple[str, ...] = (), timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Runs ``sftp -b -`` with ``commands`` as the provider (key login)."""
        return subprocess.run(
            ["sftp", "-b", "-", *openssh_options(self, login), *options, f"{login.code}@127.0.0.1"],
            input=commands,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        self.server.stop()


def openssh_options(server: LiveServer, login: ProviderLogin) -> list[str]:
    return [
        "-P",
        str(server.port),
        "-i",
        str(login.key_file),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        f"UserKnownHostsFile={server.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "LogLevel=ERROR",
        "-F",
        "/dev/null",
    ]


def live_config(project, engine, **changes) -> ServerConfig:
    """The project's SFTP settings on a free port, with limits loose enough for tests."""
    config = server_config(AppContext(project.settings(), _engine=engine))
    limits = dataclasses.replace(config.limits, connections_per_address_per_second=1000.0)
    defaults = {"port": 0, "limits": limits}
    defaults.update(changes)
    return dataclasses.replace(config, **defaults)


@pytest.fixture
def start_server(project, engine, sessions, tmp_path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(**changes) -> LiveServer:
        server = LiveServer(live_config(project, engine, **changes), sessions, tmp_path / "known_hosts")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server) -> LiveServer:
    return start_server()


def wait_for_file(path: Path, timeout_s: float = 10) -> None:
    wait_until(path.exists, timeout_s=timeout_s)

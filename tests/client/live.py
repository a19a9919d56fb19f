"""The gateway's own SFTP server (and, when asked, its workers) running in this process.

Started through ``gateway serve``'s role builders on the test project, with one KINE provider
account that logs in with an ed25519 key or a password, as a practice's client would.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import paramiko

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.cli.context import AppContext
from gateway.cli.serve import ROLE_BUILDERS
from gateway.client.connection import Endpoint
from gateway.client.knownhosts import KnownHosts, host_id
from gateway.config import Settings
from gateway.sftp.hostkey import load_or_create_host_key
from tests.sftp.conftest import write_key_pair

CODE = "45001237"
PASSWORD = "correct horse battery staple"


@dataclass
class LiveGateway:
    """A running gateway and the files its provider logs in with."""

    settings: Settings
    services: list
    port: int
    host_key: paramiko.PKey
    key_file: Path
    client_dir: Path

    @property
    def inbox(self) -> Path:
        return self.settings.paths.inbox / CODE

    @property
    def outbox(self) -> Path:
        return self.settings.paths.outbox / CODE

    @property
    def known_hosts(self) -> Path:
        return self.client_dir / "known_hosts"

    def endpoint(self, **changes) -> Endpoint:
        """Key login with the server's key trusted (unless changed)."""
        base = Endpoint(
            host="127.0.0.1",
            port=self.port,
            user=CODE,
            known_hosts=self.known_hosts,
            key_file=self.key_file,
            timeout=10,
        )
        return dataclasses.replace(base, **changes)

    def trust(self) -> None:
        KnownHosts(self.known_hosts).record(host_id("127.0.0.1", self.port), self.host_key)

    def client_config(self) -> str:
        """The [client] section a practice would write for this gateway."""
        return (
            f'[client]\nhost = "127.0.0.1"\nport = {self.port}\nuser = "{CODE}"\n'
            f'key_file = "{self.key_file}"\nknown_hosts = "{self.known_hosts}"\nretries = 3\n'
        )

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


def start_gateway(project, engine, sessions, tmp_path: Path, roles: tuple[str, ...] = ("sftp",)) -> LiveGateway:
    """Creates the provider account and starts ``roles`` on a free port."""
    settings = project.settings(
        GATEWAY_SFTP__PORT="0",
        GATEWAY_SFTP__MAX_CONNECTIONS_PER_ADDRESS_PER_SECOND="1000",
        GATEWAY_EXCHANGE__POLL_INTERVAL="0.05",
    )
    key_file, public = write_key_pair(tmp_path / "practice" / "keys")
    accounts = Accounts(
        sessions, AccountMirror(settings.accounts_path, settings.paths.inbox, settings.paths.outbox), actor="test"
    )
    accounts.add(CODE, profession="KINE", name="Test physiotherapy", keys=[public], password=PASSWORD)
    context = AppContext(settings, _engine=engine)
    services = []
    try:
        for role in roles:
            for service in ROLE_BUILDERS[role](context):
                service.start()
                services.append(service)
    except BaseException:
        for service in reversed(services):
            service.stop()
        raise
    sftp = next(s for s in services if s.name == "sftp")
    return LiveGateway(
        settings=settings,
        services=services,
        port=sftp.port,
        host_key=load_or_create_host_key(settings.host_key_path),
        key_file=key_file,
        client_dir=tmp_path / "practice",
    )

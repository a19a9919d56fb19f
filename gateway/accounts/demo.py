"""Demo accounts: one per exchange profession, each with a generated ed25519 key pair.

Created on the first start when ``demo.enabled`` is true; the private keys are written under
``<data>/demo/<code>/`` so that the printed ``sftp`` command works as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.accounts.service import Accounts
from gateway.errors import NotFound
from gateway.exchange.conventions import CONVENTIONS
from gateway.store.files import atomic_write, make_folder

#: (code, profession, name): the demo provider of each convention in the registry
DEMO_PROVIDERS = tuple(
    (spec.demo.code, spec.code, spec.demo.name) for spec in CONVENTIONS.values() if spec.demo is not None
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and the files a client needs to log in as it."""

    code: str
    profession: str
    private_key: Path
    created: bool

    def sftp_command(self, host: str, port: int, known_hosts: Path) -> str:
        """The exact OpenSSH command line to connect as this account."""
        return (
            f"sftp -i {self.private_key} -P {port} -o IdentitiesOnly=yes "
            f"-o UserKnownHostsFile={known_hosts} {self.code}@{host}"
        )


def ensure_demo_accounts(accounts: Accounts, data: Path) -> list[DemoAccount]:
    """Creates the demo accounts that do not exist yet; returns all of them."""
    result = []
    for code, profession, name in DEMO_PROVIDERS:
        folder = data / "demo" / code
        private = folder / "id_ed25519"
        try:
            accounts.get(code)
            created = False
        except NotFound:
            key = ed25519.Ed25519PrivateKey.generate()
            make_folder(folder)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            )
            atomic_write(private, pem)
            private.chmod(0o600)
            public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            atomic_write(folder / "id_ed25519.pub", public + f" demo-{code}\n".encode())
            accounts.add(code, profession=profession, name=name, keys=[public.decode() + f" demo-{code}"])
            created = True
        result.append(DemoAccount(code, profession, private, created))
    return result

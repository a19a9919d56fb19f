"""The gateway's host key, checked against an OpenSSH known-hosts file; nothing trusted silently.

A host is recorded as OpenSSH does (``[host]:port`` when the port is not 22), so the same file
works with ``sftp -o UserKnownHostsFile=...``. A key is recorded only deliberately: by
``gateway client trust`` (after the operator has compared the fingerprint) or by
``--accept-new`` for a host with no key yet; a key that differs from the recorded one is
never replaced silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeyEntry

from gateway.accounts.keys import fingerprint_of
from gateway.client.errors import HostKeyMismatch, HostKeyUnknown
from gateway.store.files import atomic_write


def host_id(host: str, port: int) -> str:
    """The known-hosts name of a server: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a host key."""
    return fingerprint_of(key.asbytes())


@dataclass(frozen=True)
class HostCheck:
    """The outcome of a check that passed: the key and whether it was recorded just now."""

    host: str
    key_type: str
    fingerprint: str
    recorded: bool


class KnownHosts:
    """One known-hosts file: look up, verify and (deliberately) record host keys."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.is_file():
            keys.load(str(self.path))
        return keys

    def known(self, host: str) -> list[paramiko.PKey]:
        """Keys recorded for ``host`` (a :func:`host_id`)."""
        entry = self._load().lookup(host)
        return list(entry.values()) if entry else []

    def verify(self, host: str, key: paramiko.PKey, *, accept_new: bool = False) -> HostCheck:
        """Passes when ``key`` is recorded for ``host``; raises otherwise.

        With ``accept_new`` a host that has no key at all gets this one recorded (OpenSSH's
        ``StrictHostKeyChecking=accept-new``); a different key is always refused.
        """
        known = self.known(host)
        print_ = fingerprint(key)
        if any(k.get_name() == key.get_name() and k.asbytes() == key.asbytes() for k in known):
            return HostCheck(host, key.get_name(), print_, recorded=False)
        if known:
            recorded = ", ".join(f"{k.get_name()} {fingerprint(k)}" for k in known)
            raise HostKeyMismatch(
                f"the host key of {host} is {key.get_name()} {print_}, but {self.path} records {recorded}. "
                "The server may be impersonated: ask the fund's operator before trusting the new key "
                "(gateway client trust --replace)",
                host=host,
                fingerprint=print_,
                path=str(self.path),
            )
        if not accept_new:
            raise HostKeyUnknown(
                f"no host key recorded for {host} in {self.path}. The server presents {key.get_name()} {print_}: "
                "compare it with the fingerprint the fund publishes, then run `gateway client trust` "
                "(or pass --accept-new)",
                host=host,
                fingerprint=print_,
                path=str(self.path),
            )
        self.record(host, key)
        return HostCheck(host, key.get_name(), print_, recorded=True)

    def record(self, host: str, key: paramiko.PKey, *, replace: bool = False) -> None:
        """Adds ``key`` for ``host`` (with ``replace``, instead of the keys recorded before)."""
        lines = []
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                entry = HostKeyEntry.from_line(line) if line.strip() and not line.startswith("#") else None
                if replace and entry is not None and host in entry.hostnames:
                    continue
                lines.append(line)
        new_line = HostKeyEntry([host], key).to_line()
        # to_line() gives None only for an entry without a key, and this one has one
        assert new_line is not None
        lines.append(new_line.rstrip("\n"))
        atomic_write(self.path, ("\n".join(lines) + "\n").encode("utf-8"))
        self.path.chmod(0o600)

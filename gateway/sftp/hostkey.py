"""The server's host key: ed25519, generated once, kept 0600, shared by every SFTP node."""

from __future__ import annotations

import os
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.accounts.keys import fingerprint_of
from gateway.store.files import atomic_write, make_folder


def load_or_create_host_key(path: Path) -> paramiko.Ed25519Key:
    """The host key at ``path``; generated (mode 0600) when the file does not exist yet."""
    if not path.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        make_folder(path.parent)
        # Written under a temp name then linked without overwrite: two processes starting
        # together keep the same (first) key.
        temp = path.with_name(f".{path.name}.new-{os.getpid()}")
        atomic_write(temp, pem)
        temp.chmod(0o600)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return paramiko.Ed25519Key(filename=str(path))


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint of the host key."""
    return fingerprint_of(key.asbytes())


def fingerprint_of_file(path: Path) -> str:
    """The fingerprint of the host key at ``path``, or "" when it is not on this machine (never creates one)."""
    try:
        return fingerprint(paramiko.Ed25519Key(filename=str(path)))
    except (OSError, paramiko.SSHException):
        return ""


def known_hosts_line(key: paramiko.PKey, host: str, port: int) -> str:
    """The known_hosts line for ``[host]:port`` (plain ``host`` on port 22)."""
    where = host if port == 22 else f"[{host}]:{port}"
    return f"{where} {key.get_name()} {key.get_base64()}\n"


def write_known_hosts(path: Path, key: paramiko.PKey, host: str, port: int) -> None:
    """Writes a known_hosts file holding only this server's line."""
    atomic_write(path, known_hosts_line(key, host, port).encode())

"""A real clamd on a signature database written by the test (no downloads are needed)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.intake.documents import ClamdScanner
from tests.support import missing_tool, wait_until

#: the bytes our test signature matches (lower case: clamd also matches normalised HTML)
MARKER = b"gateway-test-malware-7f3a"
SIGNATURE_NAME = "GatewayTest.Marker"


@dataclass(frozen=True)
class Clamd:
    """A running clamd: its socket and the name it reports for MARKER."""

    socket: Path
    finding: str


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    binary = shutil.which("clamd")
    if binary is None:
        missing_tool("clamd is not installed (Debian package clamav-daemon, see scripts/install)")
    root = tmp_path_factory.mktemp("clamd")
    (root / "db").mkdir()
    # One body-based signature: any file containing MARKER, whatever its type.
    (root / "db" / "gateway.ndb").write_text(f"{SIGNATURE_NAME}:0:*:{MARKER.hex()}\n")
    socket = root / "clamd.sock"
    config = root / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"LocalSocket {socket}\n"
        f"DatabaseDirectory {root / 'db'}\n"
        f"LogFile {root / 'clamd.log'}\n"
        "User root\n"
        "StreamMaxLength 4M\n"
    )
    process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        scanner = ClamdScanner(str(socket), timeout_s=5)
        wait_until(lambda: process.poll() is not None or (socket.exists() and scanner.ping()), timeout_s=60)
        if process.poll() is not None:
            pytest.fail(f"clamd exited: {(root / 'clamd.log').read_text(errors='replace')[-2000:]}")
        yield Clamd(socket=socket, finding=f"{SIGNATURE_NAME}.UNOFFICIAL")
    finally:
        process.terminate()
        process.wait(timeout=30)

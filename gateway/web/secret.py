"""The web layer's secret (CSRF token key), generated once in the data folder.

Several web nodes must share it: copy the file, or put the data folder on shared storage.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from gateway.store.files import atomic_write, make_folder

FILE_NAME = "web_secret"


def load_or_create(data: Path) -> bytes:
    """The secret in ``data/web_secret``, created (0600) on first use."""
    path = data / FILE_NAME
    if not path.exists():
        make_folder(data)
        # overwrite=False: when two processes start at once, the first one's secret wins.
        atomic_write(path, secrets.token_hex(32).encode() + b"\n", overwrite=False)
        path.chmod(0o600)
    return bytes.fromhex(path.read_text().strip())

"""Application dossiers on disk: ``<applications_path>/<reference>/``.

Documents are kept exactly as received, under names this module makes up (the applicant's
name is only ever displayed, never used as a path). Final reports are written beside them
when an application is closed. Retention deletes the whole folder.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from gateway.intake.errors import ApplicationNotFound
from gateway.store.files import atomic_write

_REFERENCE = re.compile(r"^DEM-[0-9]{4}-[0-9]{6}$")
_STORED = re.compile(r"^(doc-[0-9a-f]{32}|report-[0-9A-Za-z_.-]{1,60}\.(json|pdf))$")


class Dossier:
    """The folder of application dossiers; every path is built here and checked."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self._durable = durable

    def folder(self, reference: str) -> Path:
        """The dossier folder of ``reference`` (which must look like a reference)."""
        if not _REFERENCE.match(reference):
            raise ApplicationNotFound(f"{reference!r} is not an application reference", reference=reference)
        return self.root / reference

    def _path(self, reference: str, stored_name: str) -> Path:
        if not _STORED.match(stored_name):
            raise ApplicationNotFound(f"{stored_name!r} is not a stored file name", reference=reference)
        return self.folder(reference) / stored_name

    def store_document(self, reference: str, data: bytes) -> str:
        """Writes ``data`` durably under a new generated name; returns that name."""
        name = f"doc-{secrets.token_hex(16)}"
        atomic_write(self._path(reference, name), data, durable=self._durable, overwrite=False)
        return name

    def read(self, reference: str, stored_name: str) -> bytes:
        """The bytes of a stored file; raises :class:`ApplicationNotFound` when gone."""
        try:
            return self._path(reference, stored_name).read_bytes()
        except FileNotFoundError:
            raise ApplicationNotFound(f"{reference}: file {stored_name} is no longer kept",
                                      reference=reference) from None

    def path(self, reference: str, stored_name: str) -> Path:
        """Where a stored file is (for streaming it); it may not exist."""
        return self._path(reference, stored_name)

    def write_report(self, reference: str, name: str, data: bytes) -> Path:
        """Writes (or replaces) a report file ``report-<name>`` in the dossier."""
        path = self._path(reference, f"report-{name}")
        atomic_write(path, data, durable=self._durable)
        return path

    def delete(self, reference: str) -> int:
        """Removes the dossier folder; returns how many files it held (0 when absent)."""
        folder = self.folder(reference)
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.iterdir() if p.is_file())
        shutil.rmtree(folder)
        return count

    def size(self, reference: str) -> tuple[int, int]:
        """(files, bytes) held by a dossier, for the purge report."""
        folder = self.folder(reference)
        if not folder.is_dir():
            return 0, 0
        files = [p for p in folder.iterdir() if p.is_file()]
        return len(files), sum(p.stat().st_size for p in files)

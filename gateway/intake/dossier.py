"""Application dossiers on disk: ``<applications_path>/<reference>/``.

Documents are kept exactly as received, under names this module makes up (the applicant's
name is only ever displayed, never used as a path). Final reports are written beside them
when an application is closed. Retention deletes the whole folder.

A document is written in two steps so that no database transaction waits for a disk:
:meth:`Dossier.stage` writes it durably into ``.staging/`` (before the transaction), and
:meth:`Dossier.place` renames it into the dossier (inside the transaction: a rename, no data
written); :meth:`Dossier.sync` makes the renames durable after the commit. A staged file
keeps its name when placed, so one found in ``.staging/`` that a document row names is put
in place when read (:meth:`Dossier.read`), whatever crash came between.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from gateway.intake.errors import ApplicationNotFound
from gateway.store.files import atomic_write, fsync_dir, make_folder

_REFERENCE = re.compile(r"^DEM-[0-9]{4}-[0-9]{6}$")
_STORED = re.compile(r"^(doc-[0-9a-f]{32}|report-[0-9A-Za-z_.-]{1,60}\.(json|pdf))$")
_DOCUMENT = re.compile(r"^doc-[0-9a-f]{32}$")
STAGING = ".staging"


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

    def staged(self, name: str) -> Path:
        """Where a staged document is (it may not exist)."""
        if not _DOCUMENT.match(name):
            raise ApplicationNotFound(f"{name!r} is not a stored file name")
        return self.root / STAGING / name

    def stage(self, data: bytes) -> str:
        """Writes ``data`` durably into the staging folder under a new name; returns the name.

        Call it before the transaction that records the document (:meth:`place`).
        """
        name = f"doc-{secrets.token_hex(16)}"
        atomic_write(self.staged(name), data, durable=self._durable, overwrite=False)
        return name

    def place(self, reference: str, name: str) -> Path:
        """Renames a staged document into the dossier of ``reference`` (no data is written)."""
        path = self._path(reference, name)
        make_folder(path.parent)
        os.replace(self.staged(name), path)
        return path

    def unplace(self, reference: str, name: str) -> None:
        """Puts a placed document back into staging (its transaction did not commit)."""
        try:
            os.replace(self._path(reference, name), self.staged(name))
        except FileNotFoundError:
            pass

    def discard(self, name: str) -> None:
        """Removes a staged document that will not be recorded."""
        self.staged(name).unlink(missing_ok=True)

    def sync(self, reference: str) -> None:
        """Makes the documents placed in a dossier durable (after the commit)."""
        if self._durable:
            folder = self.folder(reference)
            if folder.is_dir():
                fsync_dir(folder)
                fsync_dir(self.root)

    def staged_before(self, age_s: float) -> Iterator[str]:
        """Names of staged documents older than ``age_s`` seconds (left by a crash)."""
        folder = self.root / STAGING
        if not folder.is_dir():
            return
        limit = time.time() - age_s
        for path in folder.iterdir():
            if _DOCUMENT.match(path.name) and path.stat().st_mtime < limit:
                yield path.name

    def read(self, reference: str, stored_name: str) -> bytes:
        """The bytes of a stored file; raises :class:`ApplicationNotFound` when gone.

        A document recorded but still in staging (a crash between the commit and the
        folder's sync) is put in place first.
        """
        path = self._path(reference, stored_name)
        if not path.exists() and _DOCUMENT.match(stored_name) and self.staged(stored_name).exists():
            self.place(reference, stored_name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ApplicationNotFound(
                f"{reference}: file {stored_name} is no longer kept", reference=reference
            ) from None

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

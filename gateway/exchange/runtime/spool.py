"""The folders a request file passes through, and the moves between them.

- ``inbox/<code>/<name>``: where a received file waits (the provider lists it).
- ``archive/<code>/<YYYY-MM>/<id>-<name>``: where a claimed file is kept until purge, with a
  copy of its response ``<id>-<response name>`` beside it (the outbox copy goes when the
  provider collects it; staff still see it).
- ``outbox/<code>/<response name>``: the response the provider collects.
- ``aside/<code>/<UTC time>-<name>``: files that reached the inbox by other means and cannot
  be taken (name outside section 1's pattern, name held, not a regular file), for operators.

``stored_at`` in the database names a file as ``inbox:<code>/<name>`` or
``archive:<code>/<YYYY-MM>/<id>-<name>``; :meth:`SpoolPaths.resolve` turns it into a path.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.store.files import fsync_dir, make_folder

INBOX = "inbox"
ARCHIVE = "archive"


@dataclass(frozen=True)
class SpoolPaths:
    """Roots of the spools (absolute, from the settings)."""

    inbox: Path
    outbox: Path
    archive: Path
    aside: Path

    def inbox_file(self, code: str, name: str) -> Path:
        return self.inbox / code / name

    def outbox_file(self, code: str, response_name: str) -> Path:
        return self.outbox / code / response_name

    @staticmethod
    def archive_ref(code: str, file_id: int, name: str, received_at: dt.datetime) -> str:
        """The ``stored_at`` of a file once archived (fixed by its row, so a resumed claim finds it)."""
        return f"{ARCHIVE}:{code}/{received_at:%Y-%m}/{file_id:08d}-{name}"

    def resolve(self, stored_at: str) -> Path:
        """The path named by a ``stored_at`` value."""
        root, _, relative = stored_at.partition(":")
        base = {INBOX: self.inbox, ARCHIVE: self.archive}[root]
        return base / relative

    def archived_response(self, archive_ref: str, file_id: int, response_name: str) -> Path:
        """The archived copy of a file's response, beside the archived request."""
        return self.resolve(archive_ref).with_name(f"{file_id:08d}-{response_name}")


def move_durably(source: Path, target: Path, *, durable: bool = True) -> None:
    """Renames ``source`` to ``target`` (same filesystem) and makes both folders durable."""
    make_folder(target.parent)
    os.rename(source, target)
    if durable:
        fsync_dir(target.parent)
        fsync_dir(source.parent)


def move_aside(paths: SpoolPaths, path: Path, code: str, now: dt.datetime) -> Path:
    """Moves an inbox file that cannot be taken to ``aside/<code>/`` and returns where it went."""
    target = paths.aside / code / f"{now:%Y%m%dT%H%M%S%fZ}-{path.name}"
    move_durably(path, target)
    return target

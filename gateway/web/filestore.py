"""Finding the bytes of a request file and of its response for display and download.

``RequestFile.stored_at`` names a root and a relative path (``inbox:<code>/<name>``,
``archive:<...>``); the path is resolved inside its root and refused if it would leave it.
The response is read from the provider's outbox while it waits there, else from the
archive copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.store.models.exchange import RequestFile


@dataclass(frozen=True)
class Roots:
    """Where the stored files live."""

    inbox: Path
    outbox: Path
    archive: Path


def _inside(root: Path, relative: str) -> Path | None:
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


def request_path(roots: Roots, row: RequestFile) -> Path | None:
    """The request's bytes on disk, or None (purged, or not found)."""
    kind, _, relative = row.stored_at.partition(":")
    root = {"inbox": roots.inbox, "archive": roots.archive}.get(kind)
    if root is None or not relative:
        return None
    path = _inside(root, relative)
    return path if path is not None and path.is_file() else None


def response_path(roots: Roots, row: RequestFile) -> Path | None:
    """The response's bytes: in the outbox until collected, else the archive copy next to the request."""
    outbox = _inside(roots.outbox, f"{row.provider_code}/{row.response_name}")
    if outbox is not None and outbox.is_file():
        return outbox
    request = request_path(roots, row)
    candidates = []
    if request is not None:
        candidates.append(request.parent / row.response_name)
    candidates.append(roots.archive / row.provider_code / row.response_name)
    for candidate in candidates:
        path = _inside(roots.archive, str(candidate.relative_to(roots.archive))) if candidate.is_relative_to(roots.archive) else None
        if path is not None and path.is_file():
            return path
    return None

"""Finding the bytes of a request file and of its response, for display and download.

Paths come from the exchange runtime's :class:`~gateway.exchange.runtime.spool.SpoolPaths` (the one
place that knows the spool layout): the request where ``stored_at`` says, the response in the
provider's outbox until collected, else its archived copy beside the archived request.
"""

from __future__ import annotations

from pathlib import Path

from gateway.exchange.runtime.spool import ARCHIVE, SpoolPaths
from gateway.store.models.exchange import RequestFile


def request_path(spools: SpoolPaths, row: RequestFile) -> Path | None:
    """The request's bytes on disk, or None (purged, or not found)."""
    try:
        path = spools.resolve(row.stored_at)
    except KeyError:
        return None
    return path if row.purged_at is None and path.is_file() else None


def response_path(spools: SpoolPaths, row: RequestFile) -> Path | None:
    """The response: in the outbox until collected, else the archived copy; None when neither."""
    if row.purged_at is not None:
        return None
    outbox = spools.outbox_file(row.provider_code, row.response_name)
    if outbox.is_file():
        return outbox
    if row.stored_at.startswith(f"{ARCHIVE}:"):
        archived = spools.archived_response(row.stored_at, row.id, row.response_name)
        if archived.is_file():
            return archived
    return None

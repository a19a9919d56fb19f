"""What every API route shares: the bearer scheme in OpenAPI, error responses, limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from gateway.web.api.schemas import ErrorOut
from gateway.web.auth import api_admin, api_reader

#: declares the bearer scheme in /openapi.json; the check itself is api_reader / api_admin
bearer = HTTPBearer(auto_error=False, description="An API key made with `gateway apikey create`")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut},
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    422: {
        "model": ErrorOut,
        "description": "Invalid parameters, or a filter value that names nothing (WEB-INPUT, WEB-FILTER)",
    },
}
READ = [Depends(bearer)]
MAX_LIMIT = 1000

#: how every list pages, said in each list endpoint's description (and in docs/web.md)
CURSOR_PAGING = (
    "Paging: items come by increasing id, at most `limit` (default shown, at most 1000) per "
    "page. While `next_cursor` is not null, ask again with `after=<next_cursor>` and the same "
    "filters; `next` is that request, ready to follow. Unknown filter values answer 422."
)
OFFSET_PAGING = (
    "Paging: newest first, at most `limit` per page. While `next_offset` is not null, ask again "
    "with `offset=<next_offset>` and the same filters; `next` is that request, ready to follow. "
    "Unknown filter values answer 422."
)


def next_link(request: Request, **changes: object) -> str:
    """This request's path and query with ``changes`` (the cursor or offset of the next page)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: str(v) for k, v in changes.items()})
    return f"{request.url.path}?{urlencode(params)}"


__all__ = [
    "CURSOR_PAGING",
    "ERRORS",
    "OFFSET_PAGING",
    "READ",
    "MAX_LIMIT",
    "api_admin",
    "api_reader",
    "bearer",
    "next_link",
]

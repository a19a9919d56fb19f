"""The API's JSON response: always valid UTF-8 (file names with undecodable bytes escaped)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from gateway import textsafe


class SafeJSONResponse(JSONResponse):
    """``JSONResponse`` whose strings pass through :func:`gateway.textsafe.safe_text` first:
    Starlette's own encoding would fail (500) on a lone surrogate."""

    def render(self, content: Any) -> bytes:
        return textsafe.dumps(content, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")

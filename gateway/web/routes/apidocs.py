"""``/api/docs``: the REST API's interactive documentation (Swagger UI 5, which reads the
OpenAPI 3.1 document FastAPI writes), served from the files the ``fastapi-offline`` package
ships: nothing is loaded from elsewhere. Only its files are used, not its FastAPI subclass.

Pages have a CSP without script; this page alone allows scripts from the gateway itself
(Swagger UI and its start-up file ``/static/api-docs.js``: no inline script) and data: images
(Swagger UI's icons). "Try it out" calls the API with an API key given under "Authorize".
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from gateway.web.app import render

router = APIRouter(include_in_schema=False)
#: where the page loads Swagger UI from (mounted by :func:`mount_assets`)
ASSETS = "/api/docs/assets"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def mount_assets(app: FastAPI) -> None:
    """Serves Swagger UI's files from the installed package."""
    app.mount(
        ASSETS, StaticFiles(directory=str(Path(fastapi_offline.__file__).parent / "static")), name="api-docs-assets"
    )


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    response = render(request, "api_docs.html", assets=ASSETS)
    response.headers["content-security-policy"] = DOCS_CSP
    return response

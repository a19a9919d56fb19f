"""What every API route shares: the bearer scheme in OpenAPI, error responses, limits."""

from __future__ import annotations

from fastapi import Depends
from fastapi.security import HTTPBearer

from gateway.web.api.schemas import ErrorOut
from gateway.web.auth import api_admin, api_reader

#: declares the bearer scheme in /openapi.json; the check itself is api_reader / api_admin
bearer = HTTPBearer(auto_error=False, description="An API key made with `gateway apikey create`")

ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut},
          409: {"model": ErrorOut}, 422: {"description": "Invalid parameters"}}
READ = [Depends(bearer)]
MAX_LIMIT = 1000

__all__ = ["ERRORS", "READ", "MAX_LIMIT", "api_admin", "api_reader", "bearer"]

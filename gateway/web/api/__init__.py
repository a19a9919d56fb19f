"""REST API under /api/v1 for machine clients (API keys), described at /openapi.json."""

from fastapi import APIRouter

from gateway.web.api import applications, files, forwarded, providers

router = APIRouter(prefix="/api/v1")
for module in (files, forwarded, applications, providers):
    router.include_router(module.router)

"""REST API under /api/v1 for machine clients (API keys), described at /openapi.json."""

from fastapi import APIRouter

from gateway.web.api import applications, files, providers

router = APIRouter(prefix="/api/v1")
for module in (files, applications, providers):
    router.include_router(module.router)

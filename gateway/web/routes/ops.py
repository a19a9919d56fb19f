"""/healthz (liveness, no auth), /status (what works and what does not), /metrics (Prometheus).

/status and /metrics carry no personal data and no paths, so monitors read them without a
key; restrict them at the reverse proxy if they must not be public.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway import metrics
from gateway.exchange.runtime.forwarding.monitor import forwarding_health
from gateway.web.app import render, state
from gateway.web.auth import session_token
from gateway.web.health import (
    Check,
    CheckResult,
    all_checks,
    free_bytes,
    internal_error_files,
    oldest_unanswered,
    overall,
)
from gateway.web.responses import SafeJSONResponse
from gateway.web.staff import session_user

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the web process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _checks(request: Request) -> list[Check]:
    web = state(request)
    config = web.config
    folders = {"data": config.data, "inbox": config.inbox, "outbox": config.outbox, "providers": config.providers}
    return all_checks(web.engine, web.sessions, folders, (config.sftp_host, config.sftp_port), web.clock.now())


@router.get(
    "/status.json",
    summary="Detailed status as JSON (503 when a check fails)",
    responses={503: {"description": "A check failed (same body)"}},
)
def status_json(request: Request) -> SafeJSONResponse:
    checks = _checks(request)
    result = overall(checks)
    body = {"status": result, "checks": [{"name": c.name, "result": c.result, "detail": c.detail} for c in checks]}
    return SafeJSONResponse(body, status_code=503 if result == CheckResult.FAIL else 200)


@router.get("/status", include_in_schema=False)
def status_page(request: Request) -> Response:
    if "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", ""):
        return status_json(request)
    web = state(request)
    request.state.staff = session_user(web.sessions, session_token(request), now=web.clock.now())
    checks = _checks(request)
    result = overall(checks)
    return render(
        request, "status.html", status_code=503 if result == CheckResult.FAIL else 200, checks=checks, result=result
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics_endpoint(request: Request) -> Response:
    web = state(request)
    now = web.clock.now()
    with web.sessions() as session:
        oldest = oldest_unanswered(session)
        metrics.INTERNAL_ERROR_FILES.set(internal_error_files(session))
        forwarding = forwarding_health(session, now)
    metrics.OLDEST_UNANSWERED_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    metrics.FORWARDING_UNSENT.set(forwarding.unsent)
    metrics.FORWARDING_OLDEST_UNSENT_AGE.set(forwarding.oldest_age_s)
    metrics.FORWARDING_BROKER_FAILING.set(1 if forwarding.failing else 0)
    for name, folder in (
        ("inbox", web.config.inbox),
        ("outbox", web.config.outbox),
        ("data", web.config.data),
        ("providers", web.config.providers),
    ):
        free = free_bytes(folder)
        if free is not None:
            metrics.SPOOL_FREE_BYTES.labels(spool=name).set(free)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

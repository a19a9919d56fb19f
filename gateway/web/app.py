"""The web application: staff pages, applicant pages, REST API, health and metrics.

:func:`create_app` takes plain values (:class:`WebConfig`) and the shared objects built by
the CLI; nothing here reads the configuration. Every :class:`GatewayError` raised by a page
or a service is turned into an HTML page or a JSON body in one place (:func:`_on_error`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.clock import Clock, SystemClock
from gateway.errors import GatewayError
from gateway.logs import get_logger
from gateway.web import cookies, csrf, i18n
from gateway.web.errors import LoginRequired, WebError
from gateway.web.limits import BodyLimit, BodyLimits
from gateway.web.lockout import LockoutPolicy
from gateway.web.responses import SafeJSONResponse
from gateway.web.security import PAGE_CSP, ClientAddress, SecurityHeaders, TrustedProxies

if TYPE_CHECKING:  # the intake services; they are built by the CLI, which imports this module
    from gateway.intake.applications import Applications
    from gateway.intake.unattached import UnattachedMail

log = get_logger(__name__)
HERE = Path(__file__).parent
SESSION_COOKIE = cookies.SESSION


@dataclass(frozen=True)
class WebConfig:
    """Everything the web layer needs from the settings, as plain values."""

    #: HMAC key of the CSRF tokens and source of the key encrypting TOTP secrets (same on every web node)
    secret: bytes
    data: Path
    inbox: Path
    outbox: Path
    providers: Path
    applications: Path
    archive: Path
    # The values below have no default here: each is a setting, declared (with its default)
    # once in gateway.config and handed over by gateway.cli.web.web_config.
    public_url: str
    trusted_proxies: tuple[str, ...]
    session_max_age: int
    lockout: LockoutPolicy
    #: staff roles that must log in with a second factor (web.require_second_factor)
    second_factor_roles: tuple[str, ...]
    timezone: str
    sftp_host: str
    sftp_port: int
    max_document_bytes: int
    #: every request body but a document upload (forms, JSON)
    max_form_bytes: int
    #: one form field that is not a file
    max_field_bytes: int
    #: the provider portal's address (password links staff send) and how long such a link works
    portal_url: str
    password_link_hours: int
    #: applications the public form accepts from one address per hour (intake.applications_per_address_per_hour)
    applications_per_hour: int
    #: documents the public form accepts from one address per hour (intake.uploads_per_address_per_hour)
    uploads_per_hour: int


@dataclass
class WebState:
    """What every route reaches through ``request.app.state.web``."""

    config: WebConfig
    sessions: sessionmaker[Session]
    engine: Engine
    mirror: AccountMirror
    clock: Clock
    templates: Jinja2Templates
    #: the intake service
    applications: Applications | None = None
    #: mail waiting for staff
    mail: UnattachedMail | None = None

    @property
    def accounts(self) -> Accounts:
        """Provider accounts, for reading."""
        return Accounts(self.sessions, self.mirror, actor="web")

    def accounts_as(self, actor: str) -> Accounts:
        """Provider accounts changed in the name of ``actor`` (named in the audit trail)."""
        return Accounts(self.sessions, self.mirror, actor=actor)


def create_app(
    config: WebConfig,
    *,
    sessions: sessionmaker[Session],
    engine: Engine,
    mirror: AccountMirror,
    applications: Applications | None = None,
    mail: UnattachedMail | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Builds the application with every route, middleware and error translation.

    ``applications`` is the intake service (:class:`gateway.intake.applications.Applications`)
    built by the caller with the same sessions; without it the application pages answer 503.
    ``mail`` (:class:`gateway.intake.unattached.UnattachedMail`) serves the page of messages
    waiting for staff; without it that page answers 503.
    """
    from gateway.web.api import router as api_router
    from gateway.web.routes import ROUTERS

    app = FastAPI(
        title="Provider data-exchange gateway",
        version="1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=SafeJSONResponse,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    from gateway.web.templating import install_filters, install_gettext, install_labels

    install_filters(templates.env, config.timezone)
    install_gettext(templates.env)
    install_labels(templates.env)
    app.state.web = WebState(config, sessions, engine, mirror, clock or SystemClock(), templates, applications, mail)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from gateway.web.routes.apidocs import mount_assets

    mount_assets(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(api_router)

    secure_app(
        app,
        BodyLimits(config.max_form_bytes, config.max_field_bytes, config.max_document_bytes),
        trusted_proxies=config.trusted_proxies,
    )
    return app


def secure_app(app: FastAPI, limits: BodyLimits, *, trusted_proxies: tuple[str, ...], csp: str = PAGE_CSP) -> None:
    """What every web application of the gateway wears (staff web and provider portal alike):
    body limits, the CSRF cookie, the translation of refusals into pages or JSON, the security
    headers with the strict CSP, and the real client address behind trusted proxies."""
    # Added before the CSRF cookie middleware, so it runs inside it: a refusal page gets the
    # same cookie and headers as any other page.
    app.add_middleware(BodyLimit, limits=limits, refuse=_refuse_body)

    @app.middleware("http")
    async def csrf_cookie(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Every browser gets its CSRF cookie on its first page, before it sees a form.
        csrf.prepare(request)
        response = await call_next(request)
        csrf.finish(request, response)
        return response

    # Starlette types every handler as taking any Exception; it calls each with its own class only
    app.add_exception_handler(GatewayError, _on_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_middleware(SecurityHeaders, csp=csp)
    app.add_middleware(ClientAddress, proxies=TrustedProxies(trusted_proxies))


async def _refuse_body(scope: Any, exc: WebError) -> Response:
    """The page (or JSON) of a body refused by :class:`~gateway.web.limits.BodyLimit`."""
    return await _on_error(Request(scope), exc)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in {"/healthz", "/status.json"}


async def _on_error(request: Request, exc: GatewayError) -> Response:
    """The one place where refusals become responses."""
    status = exc.http_status  # each error class carries its own (gateway.errors)
    log.info("request refused", path=request.url.path, code=exc.code, status=status)
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return SafeJSONResponse({"code": exc.code, "message": exc.message}, status_code=status, headers=headers)
    if isinstance(exc, LoginRequired) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{exc.login_path}?next={quote(target, safe='/')}", status_code=303)
    return render(request, "error.html", status_code=status, code=exc.code, message=exc.message)


async def _on_http_error(request: Request, exc: HTTPException) -> Response:
    if _wants_json(request) or exc.status_code == 405:
        return SafeJSONResponse(
            {"code": f"HTTP-{exc.status_code}", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    return render(
        request, "error.html", status_code=exc.status_code, code=f"HTTP-{exc.status_code}", message=str(exc.detail)
    )


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _wants_json(request):
        return SafeJSONResponse(
            {"code": "WEB-INPUT", "message": "invalid request", "detail": exc.errors()}, status_code=422
        )
    return render(request, "error.html", status_code=400, code="WEB-INPUT", message="invalid request")


def state(request: Request) -> WebState:
    """The app's shared objects."""
    web: WebState = request.app.state.web  # set by create_app
    return web


def client_address(request: Request) -> str:
    """The real client address (see :mod:`gateway.web.security`)."""
    return request.client.host if request.client else ""


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language, with the staff member (or provider) and a CSRF token at hand."""
    web = state(request)
    lang = i18n.language_of(request)
    context.setdefault("staff", getattr(request.state, "staff", None))
    context.setdefault("provider", getattr(request.state, "provider", None))
    return web.templates.TemplateResponse(
        request,
        template,
        {
            "t": i18n.translator(lang),
            "lang": lang,
            "csrf_token": csrf.token(request),
            "now": web.clock.now(),
            "path": request.url.path,
            "timezone": web.config.timezone,
            **context,
        },
        status_code=status_code,
    )

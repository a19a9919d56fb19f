"""The provider portal's web application: its own listener, the staff web's security.

:func:`create_portal_app` takes plain values (:class:`PortalConfig`) and the objects built by
the CLI. The application wears what the staff web wears (:func:`gateway.web.app.secure_app`:
body limits, CSRF bound to the session, security headers with the strict CSP, refusals as
pages), with a session cookie of its own name (two applications on one host share cookies
across ports). Pages are found first in this package's templates, then in the staff web's
(error page, second-factor enrolment, the findings table), so those exist once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.config import WebSettings, declared
from gateway.portal.login import PortalPolicy, ProviderView, resolve
from gateway.web import cookies, csrf
from gateway.web.app import HERE as WEB_HERE
from gateway.web.app import client_address, secure_app
from gateway.web.errors import LoginRequired, SecondFactorRequired
from gateway.web.limits import BodyLimits
from gateway.web.lockout import LockoutPolicy
from gateway.web.second_factor import SecretBox
from gateway.web.security import PORTAL_CSP
from gateway.web.templating import install_filters, install_gettext, install_labels

if TYPE_CHECKING:  # the services the routes use; they import this module
    from gateway.portal.send import BrowserReception
    from gateway.portal.settings import ProviderSettings

HERE = Path(__file__).parent
#: the portal's session cookie (``__Host-`` prefixed over HTTPS, like every cookie of ours)
SESSION_COOKIE = "gw_portal"
#: the one route that takes a file
UPLOAD_ROUTES = (re.compile(r"/send"),)


def _default_lockout() -> LockoutPolicy:
    """The lockout of the settings' defaults (a LockoutPolicy has no defaults of its own)."""
    return LockoutPolicy(declared(WebSettings, "lockout_after_failures"), declared(WebSettings, "lockout_seconds"))


@dataclass(frozen=True)
class PortalConfig:
    """Everything the portal needs from the settings, as plain values."""

    #: the web secret (CSRF tokens; source of the key encrypting TOTP secrets)
    secret: bytes
    inbox: Path
    outbox: Path
    archive: Path
    data: Path
    public_url: str = "http://127.0.0.1:8443"
    trusted_proxies: tuple[str, ...] = ()
    session_max_age: int = 3600
    lockout: LockoutPolicy = field(default_factory=_default_lockout)
    timezone: str = "Europe/Luxembourg"
    #: largest request file (sftp.max_file_bytes)
    max_file_bytes: int = 10 * 1024 * 1024
    max_form_bytes: int = 65536
    max_field_bytes: int = 16384
    #: what providers are told to connect to, and the host key's fingerprint they check
    sftp_host: str = "127.0.0.1"
    sftp_port: int = 2222
    #: the SFTP host key, whose fingerprint providers check on first connection (None: not shown)
    host_key_path: Path | None = None
    #: how long a password-setting link works
    password_link_hours: int = 72


@dataclass
class PortalState:
    """What every route reaches through ``request.app.state.web`` (the name the shared pieces use)."""

    config: PortalConfig
    sessions: sessionmaker[Session]
    clock: Clock
    templates: Jinja2Templates
    box: SecretBox
    #: uploads through the SFTP reception code
    reception: BrowserReception | None = None
    #: provider account changes
    settings: ProviderSettings | None = None

    @property
    def policy(self) -> PortalPolicy:
        return PortalPolicy(self.config.lockout, self.config.session_max_age)


def create_portal_app(
    config: PortalConfig,
    *,
    sessions: sessionmaker[Session],
    reception: BrowserReception | None = None,
    settings: ProviderSettings | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Builds the portal with every route, middleware and error translation.

    ``reception`` (:class:`gateway.portal.send.BrowserReception`) receives uploads; without it
    the sending page answers 503. ``settings`` changes keys and notification choices.
    """
    from gateway.portal.routes import ROUTERS

    app = FastAPI(title="Provider portal", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.loader = ChoiceLoader(
        [FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(WEB_HERE / "templates"))]
    )
    install_filters(templates.env, config.timezone)
    install_gettext(templates.env)  # the same texts and labels as the staff pages it shares partials with
    install_labels(templates.env)
    app.state.web = PortalState(
        config,
        sessions,
        clock or SystemClock(),
        templates,
        SecretBox(config.secret, scope="provider"),
        reception,
        settings,
    )
    app.state.session_cookie = SESSION_COOKIE
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/shared", StaticFiles(directory=str(WEB_HERE / "static")), name="shared")
    for router in ROUTERS:
        app.include_router(router)
    secure_app(
        app,
        BodyLimits(config.max_form_bytes, config.max_field_bytes, config.max_file_bytes, upload_routes=UPLOAD_ROUTES),
        trusted_proxies=config.trusted_proxies,
        csp=PORTAL_CSP,
    )
    return app


def portal(request: Request) -> PortalState:
    """The portal's shared objects."""
    state: PortalState = request.app.state.web  # set by create_portal_app
    return state


def session_token(request: Request) -> str:
    """The portal session token this browser sent, if any."""
    return cookies.read(request, SESSION_COOKIE)


def live_provider(request: Request) -> ProviderView | None:
    """The session this request came with (complete or pending), looked up once per request."""
    if not hasattr(request.state, "live_provider"):
        web = portal(request)
        request.state.live_provider = resolve(
            web.sessions, session_token(request), address=client_address(request), now=web.clock.now()
        )
    provider: ProviderView | None = request.state.live_provider
    return provider


async def provider(request: Request) -> ProviderView:
    """The logged-in provider (complete session); also checks the CSRF token of unsafe requests."""
    live = live_provider(request)
    if live is None:
        raise LoginRequired("please log in")
    if live.pending:
        raise SecondFactorRequired("please give the code of your authenticator app")
    request.state.provider = live
    await csrf.check(request)
    return live


async def pending_provider(request: Request) -> ProviderView:
    """A session whose password was checked and whose second factor is still due."""
    live = live_provider(request)
    if live is None or not live.pending:
        raise LoginRequired("please log in")
    await csrf.check(request)
    return live


#: the dependency of every page of a logged-in provider
LoggedIn = Depends(provider)

"""Fixtures of the web tests: the app served by real uvicorn on a free port, staff, clients.

One site (database, folders, server) per test module and database, because argon2 hashing
and migrations dominate the run time on a small machine; tests that change shared state
(lockout, rate limits) use their own logins and client addresses. Staff clients get a real
session through the login pages (tests.web.staff_login): agents with their password; the
admin, whose role requires a second factor, enrols on first use and then gives a TOTP code.
A code's step is accepted once per member, so the admin's complete session is kept for the
module and handed to each admin client (tests that end sessions use their own logins).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.config import ExchangeSettings, IntakeSettings, PortalSettings, WebSettings
from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.intake.maildrop import MailDrop
from gateway.intake.notify import FolderMailer, Notifier
from gateway.intake.unattached import UnattachedMail
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models.web import StaffUser
from gateway.web import cookies
from gateway.web.app import WebConfig, create_app
from gateway.web.lockout import LockoutPolicy
from gateway.web.service import WebService
from gateway.web.staff import add_staff
from gateway.web.staff_sessions import session_user
from tests.conftest import DATABASES, fresh_database_url
from tests.web.staff_login import csrf_of, log_in_fully  # csrf_of is used by the test modules

REPO = Path(__file__).resolve().parents[2]
ADMIN = ("alice", "admin-password-123")
AGENT = ("bob", "agent-password-456")
PASSWORDS = dict((ADMIN, AGENT))
#: client addresses handed to tests (through the trusted proxy) so rate limits do not mix
_addresses = itertools.count(1)


@dataclass
class Site:
    """A running web node and what it serves from."""

    url: str
    root: Path
    config: WebConfig
    sessions: sessionmaker[Session]
    engine: Engine
    applications: Applications
    #: complete sessions of members who give a second factor, kept for the module
    kept_sessions: dict[str, str] = field(default_factory=dict)

    def client(self, *, address: str | None = None, **kwargs) -> httpx.Client:
        """An HTTP client; ``address`` is claimed through X-Forwarded-For (127.0.0.1 is a trusted proxy)."""
        headers = dict(kwargs.pop("headers", {}))
        if address:
            headers["X-Forwarded-For"] = address
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, headers=headers, **kwargs)

    def staff_client(self, login: str, password: str | None = None) -> httpx.Client:
        """A client logged in as ``login`` through the login pages (its own session, except for
        members with a second factor, who share the module's kept one)."""
        token = self.kept_sessions.get(login, "")
        if not (token and session_user(self.sessions, token, now=dt.datetime.now(dt.UTC))):
            # An address of its own, so the lockout's per-address count of other tests never stops it.
            with self.client(address=new_address()) as browser:
                log_in_fully(browser, self, login, password or PASSWORDS.get(login) or f"{login}-password-001")
                token = browser.cookies.get(cookies.SESSION)
            with self.sessions() as session:
                enrolled = session.scalar(select(StaffUser.totp_enrolled_at).where(StaffUser.login == login))
            if enrolled is not None:
                self.kept_sessions[login] = token
        client = self.client()
        client.cookies.set(cookies.SESSION, token)
        return client


def new_address() -> str:
    """A client address no other test uses (TEST-NET-2)."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def web_config(root: Path, **overrides) -> WebConfig:
    """The web layer's values for a site in ``root``: the declared defaults of the settings,
    with the limits the tests reach quickly."""
    web = WebSettings()
    values = {
        "secret": secrets.token_bytes(32),
        "data": root / "var",
        "inbox": root / "inbox",
        "outbox": root / "outbox",
        "providers": root / "providers",
        "applications": root / "providers" / "applications",
        "archive": root / "var" / "archive",
        "public_url": web.public_url,
        "session_max_age": web.session_max_age,
        "second_factor_roles": tuple(web.require_second_factor),
        "timezone": ExchangeSettings().timezone,
        "sftp_host": "127.0.0.1",
        "sftp_port": 1,
        "lockout": LockoutPolicy(3, 900),
        "max_form_bytes": web.max_form_bytes,
        "max_field_bytes": web.max_field_bytes,
        "trusted_proxies": ("127.0.0.1",),
        "max_document_bytes": 2 * 1024 * 1024,
        "applications_per_hour": 3,
        "uploads_per_hour": 30,
        "portal_url": PortalSettings().public_url,
        "password_link_hours": PortalSettings().password_link_hours,
    }
    values.update(overrides)
    return WebConfig(**values)


@pytest.fixture(scope="module", params=DATABASES)
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like the root ``database_url``, for one module: SQLite, or a fresh PostgreSQL schema."""
    with fresh_database_url(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def start_site(root: Path, database_url: str, **overrides) -> tuple[Site, WebService]:
    """Migrates the database, adds the two staff members and serves the app on a free port."""
    shutil.copytree(REPO / "schemas", root / "schemas", dirs_exist_ok=True)
    engine = make_engine(database_url)
    schema.upgrade(engine)
    sessions = make_session_factory(engine)
    config = web_config(root, **overrides)
    for login, role, password in ((ADMIN[0], "admin", ADMIN[1]), (AGENT[0], "agent", AGENT[1])):
        add_staff(sessions, login, role, password)
    mirror = AccountMirror(root / "providers" / "accounts", config.inbox, config.outbox)
    accounts = Accounts(sessions, mirror, actor="web")
    applications = Applications(
        sessions,
        dossier=Dossier(config.applications),
        max_document_bytes=config.max_document_bytes,
        notifier=Notifier(FolderMailer(root / "outgoing"), "noreply@fund.test"),
        register_provider=lambda code, name: accounts.add(code, profession="OCB", name=name),
        followup_days_after_close=IntakeSettings().followup_days_after_close,
        followup_url="/suivi/{token}",
    )
    drop = MailDrop(applications, root / "var" / "maildrop")
    drop.create_folders()
    app = create_app(
        config, sessions=sessions, engine=engine, mirror=mirror, applications=applications, mail=UnattachedMail(drop)
    )
    service = WebService(app, "127.0.0.1", 0)
    service.start()
    return Site(f"http://127.0.0.1:{service.port}", root, config, sessions, engine, applications), service


@pytest.fixture(scope="module")
def site(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The web app on 127.0.0.1 with an admin and an agent, shared by a test module."""
    site, service = start_site(tmp_path_factory.mktemp("site"), module_database_url)
    try:
        yield site
    finally:
        service.stop()
        site.engine.dispose()


def log_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    """Logs ``client`` in through the form, as a browser would."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token, "next": "/dashboard"})


@pytest.fixture
def admin_client(site: Site) -> Iterator[httpx.Client]:
    with site.staff_client(ADMIN[0]) as client:
        yield client


@pytest.fixture
def agent_client(site: Site) -> Iterator[httpx.Client]:
    with site.staff_client(AGENT[0]) as client:
        yield client

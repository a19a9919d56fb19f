"""Fixtures of the web tests: the app served by real uvicorn on a free port, staff, clients.

One site (database, folders, server) per test module and database, because argon2 hashing
and migrations dominate the run time on a small machine; tests that change shared state
(lockout, rate limits) use their own logins and client addresses. Staff clients get a real
session row directly (the login form itself is tested in test_auth.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.intake.maildrop import MailDrop
from gateway.intake.notify import FolderMailer, Notifier
from gateway.intake.unattached import UnattachedMail
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models.web import StaffUser
from gateway.web.app import SESSION_COOKIE, WebConfig, create_app
from gateway.web.service import WebService
from gateway.web.staff import LockoutPolicy, add_staff, open_session_for
from tests.conftest import DATABASES, fresh_database_url

REPO = Path(__file__).resolve().parents[2]
ADMIN = ("alice", "admin-password-123")
AGENT = ("bob", "agent-password-456")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
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

    def client(self, *, address: str | None = None, **kwargs) -> httpx.Client:  # noqa: ANN003
        """An HTTP client; ``address`` is claimed through X-Forwarded-For (127.0.0.1 is a trusted proxy)."""
        headers = dict(kwargs.pop("headers", {}))
        if address:
            headers["X-Forwarded-For"] = address
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, headers=headers, **kwargs)

    def staff_client(self, login: str) -> httpx.Client:
        """A client with a live session of ``login``."""
        with self.sessions() as session:
            staff_id = session.scalar(select(StaffUser.id).where(StaffUser.login == login))
        token, _ = open_session_for(self.sessions, staff_id, address="127.0.0.1", max_age=3600,
                                    now=dt.datetime.now(dt.timezone.utc))
        client = self.client()
        client.cookies.set(SESSION_COOKIE, token)
        return client


def new_address() -> str:
    """A client address no other test uses (TEST-NET-2)."""
    n = next(_addresses)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def web_config(root: Path, **overrides) -> WebConfig:  # noqa: ANN003
    values = dict(secret=secrets.token_bytes(32), data=root / "var", inbox=root / "inbox", outbox=root / "outbox",
                  providers=root / "providers", applications=root / "providers" / "applications",
                  archive=root / "var" / "archive", sftp_port=1, lockout=LockoutPolicy(3, 900),
                  trusted_proxies=("127.0.0.1",), max_document_bytes=2 * 1024 * 1024,
                  intake={"applications_per_hour": 3, "uploads_per_hour": 30})
    values.update(overrides)
    return WebConfig(**values)


@pytest.fixture(scope="module", params=DATABASES)
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like the root ``database_url``, for one module: SQLite, or a fresh PostgreSQL schema."""
    with fresh_database_url(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def start_site(root: Path, database_url: str, **overrides) -> tuple[Site, WebService]:  # noqa: ANN003
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
        sessions, dossier=Dossier(config.applications), max_document_bytes=config.max_document_bytes,
        notifier=Notifier(FolderMailer(root / "outgoing"), "noreply@fund.test"),
        register_provider=lambda code, name: accounts.add(code, profession="OCB", name=name),
        followup_url="/suivi/{token}",
    )
    drop = MailDrop(applications, root / "var" / "maildrop")
    drop.create_folders()
    app = create_app(config, sessions=sessions, engine=engine, mirror=mirror, applications=applications,
                     mail=UnattachedMail(drop))
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


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: httpx.Client, login: str, password: str) -> httpx.Response:
    """Logs ``client`` in through the form, as a browser would."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token,
                                       "next": "/dashboard"})


@pytest.fixture
def admin_client(site: Site) -> Iterator[httpx.Client]:
    with site.staff_client(ADMIN[0]) as client:
        yield client


@pytest.fixture
def agent_client(site: Site) -> Iterator[httpx.Client]:
    with site.staff_client(AGENT[0]) as client:
        yield client

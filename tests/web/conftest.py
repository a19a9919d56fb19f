"""Fixtures of the web tests: the app served by real uvicorn on a free port, staff, clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.intake.notify import FolderMailer, Notifier
from gateway.web.app import WebConfig, create_app
from gateway.web.service import WebService
from gateway.web.staff import LockoutPolicy, add_staff

ADMIN = ("alice", "admin-password-123")
AGENT = ("bob", "agent-password-456")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class Site:
    """A running web node and what it serves from."""

    url: str
    root: Path
    config: WebConfig
    sessions: sessionmaker[Session]
    engine: Engine
    applications: Applications

    def client(self, **kwargs) -> httpx.Client:  # noqa: ANN003
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)


def web_config(root: Path, **overrides) -> WebConfig:  # noqa: ANN003
    values = dict(secret=b"s" * 32, data=root / "var", inbox=root / "inbox", outbox=root / "outbox",
                  providers=root / "providers", applications=root / "providers" / "applications",
                  archive=root / "var" / "archive", sftp_port=1, lockout=LockoutPolicy(3, 900))
    values.update(overrides)
    return WebConfig(**values)


@pytest.fixture
def site(project, engine: Engine, sessions: sessionmaker[Session]) -> Iterator[Site]:  # noqa: ANN001
    """The web app on 127.0.0.1 with an admin and an agent."""
    root = project.root
    config = web_config(root)
    add_staff(sessions, ADMIN[0], "admin", ADMIN[1])
    add_staff(sessions, AGENT[0], "agent", AGENT[1])
    mirror = AccountMirror(root / "providers" / "accounts", config.inbox, config.outbox)
    accounts = Accounts(sessions, mirror, actor="web")
    applications = Applications(
        sessions, dossier=Dossier(config.applications), max_document_bytes=config.max_document_bytes,
        notifier=Notifier(FolderMailer(root / "outgoing"), "noreply@fund.test"),
        register_provider=lambda code, name: accounts.add(code, profession="OCB", name=name),
        followup_url="/suivi/{token}",
    )
    app = create_app(config, sessions=sessions, engine=engine, mirror=mirror, applications=applications)
    service = WebService(app, "127.0.0.1", 0)
    service.start()
    try:
        yield Site(f"http://127.0.0.1:{service.port}", root, config, sessions, engine, applications)
    finally:
        service.stop()


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
    with site.client() as client:
        assert log_in(client, *ADMIN).status_code == 303
        yield client


@pytest.fixture
def agent_client(site: Site) -> Iterator[httpx.Client]:
    with site.client() as client:
        assert log_in(client, *AGENT).status_code == 303
        yield client

"""Fixtures of the portal tests: a real installation (SFTP server, worker, portal) per module and database.

The roles are built by ``gateway serve``'s own role builders from a config file, so the
portal, the SFTP server and the worker share the database and spool folders exactly as on a
machine. Providers log in through the real pages (password, then TOTP enrolment or a code).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from gateway.cli.context import app_context
from gateway.cli.serve import ROLE_BUILDERS
from gateway.store import schema
from gateway.store.db import make_engine
from gateway.store.models.portal import PortalAccount
from gateway.web import secret
from gateway.web.second_factor import DRIFT_STEPS, SecretBox
from tests.conftest import DATABASES, REPO, fresh_database_url
from tests.exchange import samples
from tests.support import free_port, wait_until

KINE = samples.PROVIDERS["KINE"]
PASSWORD = "physio-password-2026"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
_addresses = itertools.count(1)


def new_address() -> str:
    """A client address no other test uses (TEST-NET-3), claimed through the trusted proxy."""
    n = next(_addresses)
    return f"203.0.{n // 250}.{n % 250 + 1}"


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Installation:
    """A running gateway: SFTP, one worker, the portal."""

    root: Path
    context: object
    portal_url: str
    sftp_port: int
    mails: Collect

    @property
    def sessions(self):
        return self.context.sessions

    def client(self, *, address: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.portal_url,
            follow_redirects=False,
            timeout=30,
            headers={"X-Forwarded-For": address or new_address()},
        )

    def add_provider(
        self, code: str, profession: str = "KINE", *, password: str | None = PASSWORD, networks: list[str] = ()
    ) -> None:
        self.context.accounts.add(
            code, profession=profession, name=f"Cabinet {code}", password=password, allowed_networks=list(networks)
        )

    def secret_of(self, code: str) -> str:
        """The provider's enrolled TOTP secret, decrypted as the portal does."""
        box = SecretBox(secret.load_or_create(self.context.settings.paths.data), scope="provider")
        with self.sessions() as session:
            account = session.get(PortalAccount, code)
            return box.open(account.totp_secret, code)

    def next_code(self, code: str, secret: str) -> str:
        """A code of a step later than the last one accepted for ``code`` (each step works once)."""
        totp = pyotp.TOTP(secret)

        def last() -> int:
            with self.sessions() as session:
                return (
                    session.scalar(select(PortalAccount.totp_last_step).where(PortalAccount.provider_code == code))
                    or -1
                )

        wait_until(lambda: last() < totp.timecode(dt.datetime.now(dt.UTC)) + DRIFT_STEPS, timeout_s=40)
        step = max(last() + 1, totp.timecode(dt.datetime.now(dt.UTC)) - DRIFT_STEPS)
        return totp.generate_otp(step)

    def log_in(self, client: httpx.Client, code: str, password: str = PASSWORD) -> httpx.Response:
        """Logs in through the pages: password, then enrolment (first time) or a code."""
        page = client.get("/login")
        answer = client.post(
            "/login", data={"csrf_token": csrf_of(page.text), "code": code, "password": password, "next": "/files"}
        )
        assert answer.status_code == 303, answer.text
        page = client.get(answer.headers["location"])
        assert page.status_code == 200, page.text
        shown = SECRET_ON_PAGE.search(page.text)
        totp_secret = shown.group(1).replace(" ", "") if shown else self.secret_of(code)
        done = client.post(
            "/login/code",
            data={"csrf_token": csrf_of(page.text), "next": "/files", "code": self.next_code(code, totp_secret)},
        )
        assert done.status_code == 303 and done.headers["location"] == "/files", done.text
        return done


class Collect:
    """aiosmtpd handler keeping every message received (the test SMTP server)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for ``address``, oldest first."""
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def write_config(root: Path, database_url: str, smtp_port: int) -> Path:
    shutil.copytree(REPO / "schemas", root / "schemas", dirs_exist_ok=True)
    path = root / "config.toml"
    path.write_text(f"""
[paths]
data = "var"
inbox = "inbox"
outbox = "outbox"
providers = "providers"
schemas = "schemas"

[database]
url = "{database_url}"

[sftp]
port = 0
min_free_bytes = 1048576
max_inbox_files_per_provider = 20

[web]
trusted_proxies = ["127.0.0.1"]
lockout_after_failures = 3

[portal]
port = 0
notify_interval = 0.3

[exchange]
workers = 1
poll_interval = 0.1
max_file_bytes = 200000

[mail]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_starttls = false
sender = "fonds@cns.invalid"

[log]
level = "WARNING"
""")
    return path


@contextlib.contextmanager
def running_installation(root: Path, url: str) -> Iterator[Installation]:
    """SFTP server, a worker and the portal on free ports, with a test SMTP server (also used by bench/)."""
    mails = Collect()
    smtp = Controller(mails, hostname="127.0.0.1", port=free_port())
    smtp.start()
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    context = app_context(write_config(root, url, smtp.port), actor="test")
    services = [*ROLE_BUILDERS["sftp"](context), *ROLE_BUILDERS["worker"](context), *ROLE_BUILDERS["portal"](context)]
    started = []
    try:
        for service in services:
            service.start()
            started.append(service)
        sftp = services[0]
        portal = next(s for s in services if s.name == "portal")
        yield Installation(root, context, f"http://127.0.0.1:{portal.port}", sftp.port, mails)
    finally:
        for service in reversed(started):
            service.stop()
        context.engine.dispose()
        smtp.stop()


@pytest.fixture(scope="module", params=DATABASES)
def installation(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    """The running installation with the physiotherapist of the samples, per module and database."""
    root = tmp_path_factory.mktemp("portal")
    with fresh_database_url(request.param, root) as url, running_installation(root, url) as site:
        site.add_provider(KINE)
        yield site


def send(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    """Sends a file through the portal's form, as a browser does."""
    page = client.get("/send")
    assert page.status_code == 200, page.text
    return client.post("/send", data={"csrf_token": csrf_of(page.text)}, files={"file": (name, data, "text/xml")})


def kine_request(code: str, sequence: int, *, total: str | None = None) -> tuple[str, bytes]:
    """A KINE request of ``code`` (a wrong header ``total`` makes it rejected)."""
    from decimal import Decimal

    header = samples.Header(
        convention="KINE",
        provider=code,
        sequence=sequence,
        id_fichier=str(uuid.uuid5(uuid.NAMESPACE_URL, f"portal/{code}/{sequence}")),
        total=Decimal(total) if total else None,
    )
    return (
        samples.file_name("KINE", code, sequence),
        samples.build_request(header, [samples.default_record("KINE", 1)]),
    )

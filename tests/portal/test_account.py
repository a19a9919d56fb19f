"""The account page: SSH keys added (then used over the real SFTP server) and removed with the command
line's checks, the host-key fingerprint, notification choices, e-mails to the contact address through
the test SMTP server, the one-time password link of key-only accounts, the daily digest."""

from __future__ import annotations

import datetime as dt
import re

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select

from gateway.cli.portal import provider_settings
from gateway.identifiers import make_provider_code
from gateway.intake.notify import Notifier, SmtpMailer
from gateway.portal.notices import Notices
from gateway.sftp.hostkey import fingerprint_of_file
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import RequestFile
from tests.portal.conftest import PASSWORD, csrf_of, kine_request, send
from tests.support import wait_until


def _openssh(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _sftp_login(installation, code: str, key: ed25519.Ed25519PrivateKey) -> bool:
    """True when the SFTP server lets ``code`` in with ``key`` (and lists /inbox)."""
    pkey = paramiko.Ed25519Key.from_private_key(
        __import__("io").StringIO(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            ).decode()
        )
    )
    transport = paramiko.Transport(("127.0.0.1", installation.sftp_port))
    try:
        transport.start_client(timeout=10)
        try:
            transport.auth_publickey(code, pkey)
        except paramiko.AuthenticationException:
            return False
        sftp = paramiko.SFTPClient.from_transport(transport)
        sftp.listdir("/inbox")
        return True
    finally:
        transport.close()


def _post(browser, page_path: str, action: str, data: dict):
    page = browser.get(page_path)
    return browser.post(action, data={"csrf_token": csrf_of(page.text), **data})


def test_a_key_added_in_the_portal_works_over_sftp_until_it_is_removed(installation):
    code = make_provider_code("45", 5001)
    installation.add_provider(code)
    contact = f"cabinet-{code}@example.lu"
    provider_settings(installation.context).set_contact(code, contact, actor="test")
    key = ed25519.Ed25519PrivateKey.generate()
    with installation.client() as browser:
        installation.log_in(browser, code)
        page = browser.get("/account")
        assert fingerprint_of_file(installation.context.settings.host_key_path) in page.text
        assert not _sftp_login(installation, code, key)
        added = _post(browser, "/account", "/account/keys", {"key": _openssh(key) + " laptop"})
        assert added.status_code == 303
        account = browser.get("/account").text
        fingerprint = re.search(r'name="fingerprint" value="(SHA256:[^"]+)"', account).group(1)
        assert "laptop" in account
        assert _sftp_login(installation, code, key)
        wait_until(lambda: installation.mails.to(contact), timeout_s=10)
        told = installation.mails.to(contact)[0]
        assert fingerprint in told.get_content() and told["From"] == "fonds@cns.invalid"

        removed = _post(browser, "/account", "/account/keys/remove", {"fingerprint": fingerprint})
        assert removed.status_code == 303
        assert not _sftp_login(installation, code, key)
        wait_until(lambda: len(installation.mails.to(contact)) == 2, timeout_s=10)
    with installation.sessions() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.actor + " " + AuditEvent.action)
                .where(AuditEvent.target_id == code)
                .order_by(AuditEvent.id)
            )
        )
    assert f"provider:{code} provider.key.add" in actions and f"provider:{code} provider.key.remove" in actions


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _openssh(rsa.generate_private_key(public_exponent=65537, key_size=2048)), id="rsa-2048"),
        pytest.param(lambda: "ssh-ed25519 not-base64", id="garbage"),
        pytest.param(lambda: "-----BEGIN OPENSSH PRIVATE KEY-----", id="private-key"),
    ],
)
def test_keys_the_command_line_refuses_are_refused_with_a_message(installation, make):
    code = make_provider_code("45", 5002)
    if code not in {a.code for a in installation.context.accounts.list()}:
        installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        refused = _post(browser, "/account", "/account/keys", {"key": make()})
        assert refused.status_code == 400 and 'role="alert"' in refused.text
        assert 'name="fingerprint"' not in browser.get("/account").text


def test_response_ready_notification_reaches_the_contact_address(installation):
    code = make_provider_code("45", 5003)
    installation.add_provider(code)
    contact = f"secretariat-{code}@example.lu"
    provider_settings(installation.context).set_contact(code, contact, actor="test")
    with installation.client() as browser:
        installation.log_in(browser, code)
        page = browser.get("/account")
        assert contact in page.text
        assert _post(browser, "/account", "/account/notifications", {"response": "yes"}).status_code == 303
        wait_until(lambda: installation.mails.to(contact), timeout_s=10)  # the change itself is told
        name, data = kine_request(code, 1)
        assert send(browser, name, data).status_code == 303
        wait_until(lambda: any("Response ready" in m["Subject"] for m in installation.mails.to(contact)), timeout_s=30)
        ready = next(m for m in installation.mails.to(contact) if "Response ready" in m["Subject"])
        assert name in ready.get_content()


def test_the_daily_digest_lists_yesterdays_rejected_files_once(installation):
    code = make_provider_code("45", 5004)
    installation.add_provider(code)
    contact = f"digest-{code}@example.lu"
    provider_settings(installation.context).set_contact(code, contact, actor="test")
    with installation.client() as browser:
        installation.log_in(browser, code)
        assert _post(browser, "/account", "/account/notifications", {"digest": "yes"}).status_code == 303
        name, data = kine_request(code, 1, total="1.00")
        assert send(browser, name, data).status_code == 303
    with installation.sessions() as session:
        file_id = session.scalar(select(RequestFile.id).where(RequestFile.provider_code == code))

    def rejected() -> bool:
        with installation.sessions() as session:
            return session.get(RequestFile, file_id).status == "REJETE"

    wait_until(rejected, timeout_s=30)
    settings = installation.context.settings
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    morning = tomorrow.replace(hour=9)  # 10:00 or 11:00 in Luxembourg: after the digest hour
    notices = Notices(
        installation.sessions,
        Notifier(SmtpMailer("127.0.0.1", settings.mail.smtp_port, starttls=False), settings.mail.sender),
        portal_url="https://portail.test",
        timezone=settings.exchange.timezone,
        clock=lambda: morning,
    )
    before = len(installation.mails.to(contact))
    assert notices.run_once() >= 1
    assert notices.run_once() == 0  # once a day
    wait_until(lambda: len(installation.mails.to(contact)) > before, timeout_s=10)
    digest = installation.mails.to(contact)[-1]
    assert "rejected" in digest["Subject"] and name in digest.get_content()


def test_a_key_only_account_sets_its_password_with_a_one_time_link(installation):
    code = make_provider_code("45", 5005)
    installation.add_provider(code, password=None)
    with installation.client() as browser:
        page = browser.get("/login")
        refused = browser.post("/login", data={"csrf_token": csrf_of(page.text), "code": code, "password": PASSWORD})
        assert refused.status_code == 401
    token = provider_settings(installation.context).issue_password_link(code, actor="staff:alice", hours=1)
    with installation.client() as browser:
        short = _post(browser, f"/password/{token}", f"/password/{token}", {"password": "short", "confirm": "short"})
        assert short.status_code == 400
        done = _post(browser, f"/password/{token}", f"/password/{token}", {"password": PASSWORD, "confirm": PASSWORD})
        assert done.status_code == 303
        assert browser.get(f"/password/{token}").status_code == 404  # used up
    with installation.client() as browser:
        installation.log_in(browser, code)
        assert browser.get("/files").status_code == 200

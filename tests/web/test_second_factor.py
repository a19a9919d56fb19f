"""The staff second factor against the real server: enrolment, codes, replay, recovery codes, lockout.

Codes are made with pyotp from the secret the enrolment page shows (a real flow). Each test
uses its own staff members, so the per-member step bookkeeping of one test never holds up
another.
"""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from gateway.store.models.web import FailureKind, StaffLoginFailure, StaffRecoveryCode, StaffUser
from gateway.web.second_factor import SecretBox
from gateway.web.security import PAGE_CSP
from gateway.web.staff import add_staff
from tests.web.staff_login import csrf_of, enrol, next_code, secret_on_page, send_code, start_login, stored_secret


def _admin(site, login: str) -> str:
    password = f"{login}-password-001"
    add_staff(site.sessions, login, "admin", password)
    return password


def test_an_admin_without_second_factor_enrols_before_the_dashboard(site):
    password = _admin(site, "erin")
    with site.client() as client:
        step = start_login(client, "erin", password, "/files")
        assert step.status_code == 303 and step.headers["location"] == "/login/code?next=/files"
        # Between the password and the code nothing else opens.
        assert client.get("/dashboard").headers["location"].startswith("/login/code")
        assert client.get("/admin").headers["location"].startswith("/login/code")
        assert client.get("/login/code?next=/files").headers["location"] == "/login/enrol?next=/files"
        page = client.get("/login/enrol?next=/files")
        assert page.status_code == 200
        # The QR code is drawn inline by the server: no script, no image from elsewhere, same CSP.
        assert page.headers["content-security-policy"] == PAGE_CSP
        svg = page.text.split('<figure class="qr">')[1].split("</figure>")[0]
        assert svg.startswith("<svg") and "<path" in svg and "<script" not in page.text and "style=" not in svg
        assert 'autocomplete="one-time-code"' in page.text
        secret = secret_on_page(page.text)
        wrong = client.post(
            "/login/enrol",
            data={
                "csrf_token": csrf_of(page.text),
                "next": "/files",
                "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
            },
        )
        assert wrong.status_code == 401
        assert secret_on_page(wrong.text) == secret  # the same secret again after a mistyped code
        done = client.post(
            "/login/enrol",
            data={"csrf_token": csrf_of(wrong.text), "next": "/files", "code": next_code(site, "erin", secret)},
        )
        assert done.status_code == 200
        assert done.text.count("<li>") >= 10 and 'href="/files"' in done.text
        assert client.get("/files").status_code == 200
    with site.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == "erin"))
        # Stored encrypted with a key from the web secret: the database alone does not give it.
        assert secret not in user.totp_secret and user.totp_enrolled_at is not None
        assert SecretBox(b"another web secret").open(user.totp_secret, user.id) is None
        assert SecretBox(site.config.secret).open(user.totp_secret, user.id) == secret
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == "erin")).all()
    assert "staff.second_factor.enrol" in actions


def test_an_enrolled_member_needs_the_code_and_a_code_works_once(site):
    password = _admin(site, "fred")
    with site.client() as client:
        start_login(client, "fred", password)
        secret, codes = enrol(client, site, "fred")
    with site.client() as client:
        assert start_login(client, "fred", password).headers["location"].startswith("/login/code")
        page = client.get("/login/code")
        assert 'autocomplete="one-time-code"' in page.text
        pending = client.cookies.get("gw_session")
        code = next_code(site, "fred", secret)
        assert send_code(client, code).status_code == 303
        assert client.get("/dashboard").status_code == 200
        # The complete session has a new token: the pending one opens nothing.
        assert client.cookies.get("gw_session") != pending
    with site.client() as replay:
        replay.cookies.set("gw_session", pending)
        assert replay.get("/dashboard").status_code == 303
    with site.client() as other:  # the same code again, within its window: refused
        start_login(other, "fred", password)
        assert send_code(other, code).status_code == 401
        assert other.get("/dashboard").headers["location"].startswith("/login/code")
        # (A recovery code finishes, rather than the next step's code: no waiting for the clock.)
        assert send_code(other, codes[0], recovery=True).status_code == 303


def test_a_login_without_the_code_goes_nowhere(site):
    password = _admin(site, "gina")
    with site.client() as client:
        start_login(client, "gina", password)
        enrol(client, site, "gina")
    with site.client() as client:
        start_login(client, "gina", password)
        for path in ("/dashboard", "/files", "/account", "/admin", "/audit"):
            assert client.get(path).headers["location"].startswith("/login/code"), path
        # Forms of complete sessions are refused too, with or without a token.
        token = csrf_of(client.get("/login/code").text)
        assert client.post("/admin/keys", data={"csrf_token": token, "name": "x", "scope": "admin"}).status_code == 401


def test_wrong_codes_count_in_the_login_lockout(site):
    password = _admin(site, "hugo")
    with site.client() as client:
        start_login(client, "hugo", password)
        secret, _ = enrol(client, site, "hugo")
    wrong = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
    with site.client() as client:
        start_login(client, "hugo", password)
        for _ in range(site.config.lockout.after_failures):
            assert send_code(client, wrong).status_code == 401
        assert send_code(client, next_code(site, "hugo", secret)).status_code == 423
        assert client.get("/dashboard").status_code == 303
    with site.client() as again:  # the password step is locked as well: one count for every check
        assert start_login(again, "hugo", password).status_code == 423
    with site.sessions() as session:
        kinds = session.scalars(select(StaffLoginFailure.kind).where(StaffLoginFailure.login == "hugo")).all()
    assert kinds == [FailureKind.SECOND_FACTOR] * site.config.lockout.after_failures


def test_password_and_code_failures_add_up(site):
    password = _admin(site, "ines")
    with site.client() as client:
        start_login(client, "ines", password)
        secret, _ = enrol(client, site, "ines")
    with site.client() as client:
        for _ in range(site.config.lockout.after_failures - 1):
            assert start_login(client, "ines", "not the password").status_code == 401
        start_login(client, "ines", password)  # right: the code is asked, the failures are not forgotten
        wrong = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
        assert send_code(client, wrong).status_code == 401
        assert send_code(client, next_code(site, "ines", secret)).status_code == 423


def test_a_recovery_code_works_once(site):
    password = _admin(site, "jane")
    with site.client() as client:
        start_login(client, "jane", password)
        _secret, codes = enrol(client, site, "jane")
    assert len(codes) == 10 and len(set(codes)) == 10
    with site.sessions() as session:
        stored = session.scalars(
            select(StaffRecoveryCode.code_hash).join(StaffUser).where(StaffUser.login == "jane")
        ).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # kept hashed
    with site.client() as client:
        start_login(client, "jane", password)
        assert send_code(client, codes[3].upper().replace("-", " "), recovery=True).status_code == 303
        assert "codes de secours restants : 9</p>" in client.get("/account").text
    with site.client() as client:
        start_login(client, "jane", password)
        assert send_code(client, codes[3], recovery=True).status_code == 401
        assert send_code(client, codes[4], recovery=True).status_code == 303


def test_agents_log_in_with_the_password_unless_they_enrolled(site):
    add_staff(site.sessions, "kurt", "agent", "kurt-password-001")
    with site.client() as client:
        assert start_login(client, "kurt", "kurt-password-001").headers["location"] == "/dashboard"
        page = client.get("/account/second-factor")
        secret = secret_on_page(page.text)
        done = client.post(
            "/account/second-factor", data={"csrf_token": csrf_of(page.text), "code": next_code(site, "kurt", secret)}
        )
        assert done.status_code == 200 and 'id="recovery-codes"' in done.text
    with site.client() as client:  # enrolled by choice: now always asked
        assert start_login(client, "kurt", "kurt-password-001").headers["location"].startswith("/login/code")
        assert send_code(client, next_code(site, "kurt", stored_secret(site, "kurt"))).status_code == 303

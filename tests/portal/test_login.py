"""Logging in to the portal: the SFTP account's password, TOTP enrolled at first login, the same
refusals as SFTP (disabled account, address outside the account's networks), the lockout, and the
staff web's security on every page."""

from __future__ import annotations

from sqlalchemy import select

from gateway.identifiers import make_provider_code
from gateway.portal.app import SESSION_COOKIE
from gateway.store.models.audit import AuditEvent
from gateway.store.models.portal import PortalAccount
from tests.portal.conftest import PASSWORD, csrf_of, new_address


def _password_step(client, code: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.text), "code": code, "password": password})


def test_first_login_enrols_totp_then_the_next_login_asks_for_a_code(installation):
    code = make_provider_code("45", 3001)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        files = browser.get("/files")
        assert files.status_code == 200 and f"({code})" in files.text
    with installation.sessions() as session:
        assert session.get(PortalAccount, code).totp_enrolled_at is not None
    with installation.client() as browser:
        answer = _password_step(browser, code)
        assert answer.status_code == 303
        page = browser.get(answer.headers["location"])
        assert 'id="totp-secret"' not in page.text and 'name="code"' in page.text
        assert browser.get("/files").status_code == 303  # pending: nothing opens before the code
        done = browser.post(
            "/login/code",
            data={
                "csrf_token": csrf_of(page.text),
                "next": "/files",
                "code": installation.next_code(code, installation.secret_of(code)),
            },
        )
        assert done.status_code == 303 and browser.get("/files").status_code == 200
    with installation.sessions() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == code)))
    assert {"portal.login.password", "portal.second_factor.enrol", "portal.login"} <= actions


def test_a_wrong_code_is_refused_and_a_used_code_does_not_work_twice(installation):
    code = make_provider_code("45", 3002)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
    secret = installation.secret_of(code)
    used = installation.next_code(code, secret)
    with installation.client() as browser:
        page = browser.get(_password_step(browser, code).headers["location"])
        wrong = browser.post(
            "/login/code", data={"csrf_token": csrf_of(page.text), "code": "000000" if used != "000000" else "111111"}
        )
        assert wrong.status_code == 401
        assert browser.post("/login/code", data={"csrf_token": csrf_of(page.text), "code": used}).status_code == 303
    with installation.client() as browser:
        page = browser.get(_password_step(browser, code).headers["location"])
        assert browser.post("/login/code", data={"csrf_token": csrf_of(page.text), "code": used}).status_code == 401


def test_refused_as_over_sftp_wrong_password_disabled_account_other_network(installation):
    disabled = make_provider_code("45", 3003)
    limited = make_provider_code("45", 3004)
    installation.add_provider(disabled)
    installation.add_provider(limited, networks=["192.0.2.0/24"])
    installation.context.accounts.set_enabled(disabled, False)
    with installation.client() as browser:
        assert _password_step(browser, make_provider_code("45", 3005)).status_code == 401  # no such account
        refused = _password_step(browser, disabled)
        assert refused.status_code == 401 and SESSION_COOKIE not in refused.cookies
        assert _password_step(browser, limited).status_code == 401
    with installation.client(address="192.0.2.7") as browser:
        assert _password_step(browser, limited).status_code == 303  # from its network: the code is next
    with installation.client() as browser:
        assert _password_step(browser, KINE_OTHER := make_provider_code("45", 3006)).status_code == 401
    assert KINE_OTHER  # a code never added: same answer as a wrong password


def test_three_failures_lock_the_account_even_for_the_right_password(installation):
    code = make_provider_code("45", 3007)
    installation.add_provider(code)
    for _ in range(3):
        with installation.client() as browser:
            assert _password_step(browser, code, "wrong-password-000").status_code == 401
    with installation.client() as browser:
        locked = _password_step(browser, code)
        assert locked.status_code == 423


def test_pages_carry_the_staff_webs_security(installation):
    with installation.client(address=new_address()) as browser:
        page = browser.get("/login")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert browser.post("/login", data={"code": "45001237", "password": PASSWORD}).status_code == 403  # no CSRF
        big = browser.post(
            "/login", content=b"x" * 200_000, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert big.status_code == 413
        assert browser.get("/files").status_code == 303


def test_a_session_ends_when_the_account_is_disabled(installation):
    code = make_provider_code("45", 3008)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        assert browser.get("/files").status_code == 200
        installation.context.accounts.set_enabled(code, False)
        assert browser.get("/files").status_code == 303

"""Staff login, sessions, lockout, roles, CSRF and API keys, against the real server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.accounts.passwords import verify_password
from gateway.store.models.audit import AuditEvent
from gateway.store.models.web import ApiKey, FailureKind, StaffLoginFailure, StaffUser
from gateway.web.staff import add_staff, create_api_key, revoke_api_key
from tests.web.conftest import AGENT, csrf_of, log_in, new_address


def test_login_opens_a_session_with_safe_cookie_flags(site):
    with site.client() as client:
        response = log_in(client, *AGENT)
        assert response.status_code == 303 and response.headers["location"] == "/dashboard"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("gw_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        assert client.get("/dashboard").status_code == 200


def test_wrong_password_is_refused_and_audited(site):
    with site.client() as client:
        response = log_in(client, AGENT[0], "not the password at all")
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in response.text
        assert client.get("/dashboard").status_code == 303
    with site.sessions() as session:
        outcomes = [e.outcome for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login"))]
    assert "refused" in outcomes


def test_repeated_failures_lock_the_login_even_with_the_right_password(site):
    add_staff(site.sessions, "carol", "agent", "carol-password-789")
    with site.client() as client:
        for _ in range(site.config.lockout.after_failures):
            assert log_in(client, "carol", "wrong password!!").status_code == 401
        locked = log_in(client, "carol", "carol-password-789")
        assert locked.status_code == 423
        assert "bloqué" in locked.text
    with site.sessions() as session:
        failures = session.scalars(select(StaffLoginFailure).where(StaffLoginFailure.login == "carol")).all()
    assert len(failures) == site.config.lockout.after_failures
    with site.client() as other:  # another login is not affected
        assert log_in(other, *AGENT).status_code == 303


def test_logout_ends_the_session(site):
    with site.staff_client(AGENT[0]) as client:
        page = client.get("/dashboard")
        assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
        assert client.get("/dashboard").status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/files",
        "/files/1",
        "/applications",
        "/providers",
        "/audit",
        "/admin",
        "/dashboard/files-per-day.svg",
    ],
)
def test_pages_need_a_login(site, path):
    with site.client() as client:
        response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "method,path",
    [("get", "/admin"), ("post", "/admin/keys"), ("post", "/admin/staff"), ("post", "/providers/45001237/keys")],
)
def test_agents_cannot_reach_admin_pages(site, agent_client, method, path):
    token = csrf_of(agent_client.get("/dashboard").text)
    response = getattr(agent_client, method)(
        path, **({"data": {"csrf_token": token, "name": "x"}} if method == "post" else {})
    )
    assert response.status_code == 403


def test_a_form_without_its_csrf_token_is_refused(site, admin_client):
    response = admin_client.post("/admin/keys", data={"name": "sneaky", "scope": "admin"})
    assert response.status_code == 403
    assert "WEB-CSRF" in response.text


def test_a_token_from_another_browser_is_refused(site, admin_client):
    with site.client() as attacker:
        foreign = csrf_of(attacker.get("/login").text)
    response = admin_client.post("/admin/keys", data={"name": "sneaky", "scope": "admin", "csrf_token": foreign})
    assert response.status_code == 403


def test_login_form_itself_is_csrf_protected(site):
    with site.client() as client:
        client.get("/login")
        response = client.post("/login", data={"login": AGENT[0], "password": AGENT[1]})
    assert response.status_code == 403


@pytest.mark.parametrize("next_value", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(site, next_value):
    with site.client() as client:
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"login": AGENT[0], "password": AGENT[1], "csrf_token": token, "next": next_value}
        )
    assert response.headers["location"] == "/dashboard"


def test_api_keys_by_scope(site):
    reader = create_api_key(site.sessions, "scoped reader", "backoffice", actor="test")
    admin = create_api_key(site.sessions, "scoped admin", "admin", actor="test")
    with site.client() as client:
        assert client.get("/api/v1/providers").status_code == 401
        assert client.get("/api/v1/providers", headers={"Authorization": "Bearer gwk_not-a-key"}).status_code == 401
        assert client.get("/api/v1/providers", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
        with site.sessions() as session:
            used = session.scalar(select(ApiKey.last_used_at).where(ApiKey.name == "scoped reader"))
        assert used is not None
        body = {"public_key": "ssh-ed25519 AAAA"}
        assert (
            client.post(
                "/api/v1/providers/45001237/keys", json=body, headers={"Authorization": f"Bearer {reader}"}
            ).status_code
            == 403
        )
        assert client.post(
            "/api/v1/providers/45001237/keys", json=body, headers={"Authorization": f"Bearer {admin}"}
        ).status_code in (400, 404)
        revoke_api_key(site.sessions, "scoped reader", actor="test")
        assert client.get("/api/v1/providers", headers={"Authorization": f"Bearer {reader}"}).status_code == 401


def test_a_staff_session_cookie_does_not_open_the_api(site, admin_client):
    assert admin_client.get("/api/v1/providers").status_code == 401


def test_admin_creates_a_key_shown_once(site, admin_client):
    page = admin_client.get("/admin")
    response = admin_client.post(
        "/admin/keys", data={"csrf_token": csrf_of(page.text), "name": "exporter", "scope": "backoffice"}
    )
    assert response.status_code == 200
    key = response.text.split('id="new-key">')[1].split("<")[0]
    assert key.startswith("gwk_")
    assert key not in admin_client.get("/admin").text
    with site.client() as client:
        assert client.get("/api/v1/forwarded", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_staff_change_their_own_password(site):
    add_staff(site.sessions, "dave", "agent", "dave-password-001")
    with site.staff_client("dave") as client, site.staff_client("dave") as elsewhere:
        page = client.get("/account").text
        wrong = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page),
                "current_password": "nope",
                "new_password": "dave-password-002",
                "new_password_again": "dave-password-002",
            },
        )
        assert wrong.status_code == 401
        changed = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page),
                "current_password": "dave-password-001",
                "new_password": "dave-password-002",
                "new_password_again": "dave-password-002",
            },
        )
        assert changed.status_code == 303
        assert client.get("/dashboard").status_code == 200  # this session goes on
        assert elsewhere.get("/dashboard").status_code == 303  # the other one is ended
    with site.client() as fresh:
        assert log_in(fresh, "dave", "dave-password-001").status_code == 401
        assert log_in(fresh, "dave", "dave-password-002").status_code == 303


def test_after_login_the_page_asked_for_comes_back_with_its_query(site):
    with site.client() as client:
        asked = client.get("/files?status=REJETE&provider=45001237")
        assert asked.headers["location"] == "/login?next=/files%3Fstatus%3DREJETE%26provider%3D45001237"
        form = client.get(asked.headers["location"]).text
        assert 'name="next" value="/files?status=REJETE&amp;provider=45001237"' in form


def test_one_address_trying_many_logins_is_stopped(site):
    address = new_address()
    with site.client(address=address) as client:
        for n in range(site.config.lockout.address_failures):
            assert log_in(client, f"nobody{n}", "some password").status_code == 401
        assert log_in(client, *AGENT).status_code == 423  # even the right password, from there
    with site.client(address=new_address()) as elsewhere:
        assert log_in(elsewhere, *AGENT).status_code == 303


def _change_password(client, current: str, new: str):
    page = client.get("/account").text
    return client.post(
        "/account/password",
        data={"csrf_token": csrf_of(page), "current_password": current, "new_password": new, "new_password_again": new},
    )


def test_the_password_change_form_is_under_the_login_lockout(site):
    add_staff(site.sessions, "lena", "agent", "lena-password-001")
    with site.staff_client("lena") as client:
        for n in range(site.config.lockout.after_failures):
            assert _change_password(client, f"guess number {n}!", "lena-password-002").status_code == 401
        locked = _change_password(client, "lena-password-001", "lena-password-002")
        assert locked.status_code == 423  # the right one is not even checked while locked
    with site.sessions() as session:
        kinds = session.scalars(select(StaffLoginFailure.kind).where(StaffLoginFailure.login == "lena")).all()
    assert kinds == [FailureKind.PASSWORD_CHANGE] * site.config.lockout.after_failures
    with site.client() as fresh:  # the guesses locked the login form too, and the password is unchanged
        assert log_in(fresh, "lena", "lena-password-001").status_code == 423
    with site.sessions() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(StaffUser.login == "lena"))
    assert verify_password(stored, "lena-password-001")


def test_a_csrf_token_of_another_session_is_refused(site):
    add_staff(site.sessions, "mona", "agent", "mona-password-001")
    with site.staff_client("mona") as first, site.staff_client("mona") as second:
        token_of_first = csrf_of(first.get("/account").text)
        refused = second.post("/logout", data={"csrf_token": token_of_first})
        assert refused.status_code == 403 and "WEB-CSRF" in refused.text
        assert second.get("/dashboard").status_code == 200
        assert second.post("/logout", data={"csrf_token": csrf_of(second.get("/account").text)}).status_code == 303


def test_a_tossed_csrf_cookie_with_its_own_token_does_not_forge_a_staff_request(site, agent_client):
    # The attacker gets a valid (cookie, token) pair as an anonymous visitor, and plants the
    # cookie in the victim's browser (from a sibling subdomain, say).
    with site.client() as attacker:
        token = csrf_of(attacker.get("/login").text)
        planted = attacker.cookies.get("gw_csrf")
    agent_client.cookies.set("gw_csrf", planted)
    response = agent_client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 403
    assert agent_client.get("/dashboard").status_code == 200

"""Staff sessions (listed, revoked) and staff management by admins in the web, each change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.errors import UsageError
from gateway.store.models.audit import AuditEvent
from gateway.store.models.web import StaffUser
from gateway.web.staff import add_staff, list_staff, set_role, set_staff_enabled
from tests.web.conftest import ADMIN, csrf_of, log_in
from tests.web.staff_login import enrol, start_login


def _post(client, page_path: str, action: str, **data):
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(action, data={"csrf_token": csrf_of(page.text), **data})


def _audited(site, login: str) -> list[str]:
    with site.sessions() as session:
        return list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == login).order_by(AuditEvent.id))
        )


def test_staff_see_their_sessions_and_end_one(site):
    add_staff(site.sessions, "nina", "agent", "nina-password-001")
    with (
        site.client(address="203.0.113.7", headers={"User-Agent": "Laptop browser/1.0"}) as laptop,
        site.client(address="203.0.113.8", headers={"User-Agent": "Phone browser/2.0"}) as phone,
    ):
        assert log_in(laptop, "nina", "nina-password-001").status_code == 303
        assert log_in(phone, "nina", "nina-password-001").status_code == 303
        page = laptop.get("/account").text
        assert "Laptop browser/1.0" in page and "Phone browser/2.0" in page
        assert "203.0.113.7" in page and "203.0.113.8" in page
        rows = page.split("<tbody>")[-1].split("</tr>")
        phone_ref = next(r for r in rows if "Phone browser" in r).split('name="session" value="')[1].split('"')[0]
        assert _post(laptop, "/account", "/account/sessions/revoke", session=phone_ref).status_code == 303
        assert phone.get("/dashboard").status_code == 303  # ended: the very next request is refused
        assert laptop.get("/dashboard").status_code == 200
    assert "staff.session.revoke" in _audited(site, "nina")


def test_staff_cannot_end_someone_elses_session_from_their_account(site):
    add_staff(site.sessions, "olaf", "agent", "olaf-password-001")
    add_staff(site.sessions, "pia", "agent", "pia-password-001")
    with site.staff_client("olaf") as olaf, site.staff_client("pia") as pia:
        pia_ref = pia.get("/account").text.split('name="session" value="')[1].split('"')[0]
        refused = _post(olaf, "/account", "/account/sessions/revoke", session=pia_ref)
        assert refused.status_code == 404
        assert pia.get("/dashboard").status_code == 200


def test_admins_see_and_end_anyones_session(site, admin_client):
    add_staff(site.sessions, "quinn", "agent", "quinn-password-001")
    with site.staff_client("quinn") as quinn:
        quinn.get("/dashboard")
        page = admin_client.get("/admin/staff/quinn").text
        ref = page.split('name="session" value="')[1].split('"')[0]
        assert 'name="back" value="quinn"' in page
        done = _post(admin_client, "/admin/staff/quinn", "/admin/sessions/revoke", session=ref, back="quinn")
        assert done.status_code == 303 and done.headers["location"] == "/admin/staff/quinn?done=session"
        assert quinn.get("/dashboard").status_code == 303
    assert "quinn" in admin_client.get("/admin").text


def test_admin_adds_a_member_who_then_logs_in(site, admin_client):
    added = _post(admin_client, "/admin", "/admin/staff", login="rita", role="agent", password="rita-password-001")
    assert added.status_code == 303 and added.headers["location"] == "/admin/staff/rita?done=staff-saved"
    again = _post(admin_client, "/admin", "/admin/staff", login="rita", role="admin", password="another-password-1")
    assert again.status_code == 400 and "WEB-STAFF-EXISTS" in again.text  # adding never overwrites
    with site.client() as rita:
        assert log_in(rita, "rita", "rita-password-001").headers["location"] == "/dashboard"
    with site.sessions() as session:
        actor = session.scalar(
            select(AuditEvent.actor).where(AuditEvent.action == "staff.add", AuditEvent.target_id == "rita")
        )
    assert actor == f"staff:{ADMIN[0]}"


def test_disabling_a_member_ends_their_sessions_at_once(site, admin_client):
    add_staff(site.sessions, "sven", "agent", "sven-password-001")
    with site.staff_client("sven") as sven:
        assert sven.get("/dashboard").status_code == 200
        _post(admin_client, "/admin/staff/sven", "/admin/staff/sven/enabled", enabled="no")
        assert sven.get("/dashboard").status_code == 303
        assert log_in(sven, "sven", "sven-password-001").status_code == 401
        _post(admin_client, "/admin/staff/sven", "/admin/staff/sven/enabled", enabled="yes")
        assert log_in(sven, "sven", "sven-password-001").status_code == 303
    assert [a for a in _audited(site, "sven") if a.startswith("staff.") and a.endswith("able")] == [
        "staff.disable",
        "staff.enable",
    ]


def test_admin_resets_a_password_and_the_old_sessions_end(site, admin_client):
    add_staff(site.sessions, "tina", "agent", "tina-password-001")
    with site.staff_client("tina") as tina:
        done = _post(admin_client, "/admin/staff/tina", "/admin/staff/tina/password", password="tina-password-new")
        assert done.status_code == 303
        assert tina.get("/dashboard").status_code == 303
    with site.client() as fresh:
        assert log_in(fresh, "tina", "tina-password-001").status_code == 401
        assert log_in(fresh, "tina", "tina-password-new").status_code == 303
    assert "staff.password.reset" in _audited(site, "tina")


def test_a_member_made_admin_must_enrol_at_the_next_login(site, admin_client):
    add_staff(site.sessions, "ugo", "agent", "ugo-password-001")
    with site.staff_client("ugo") as ugo:
        _post(admin_client, "/admin/staff/ugo", "/admin/staff/ugo/role", role="admin")
        assert ugo.get("/dashboard").status_code == 303  # the role change ended the session
    with site.client() as ugo:
        assert start_login(ugo, "ugo", "ugo-password-001").headers["location"].startswith("/login/code")
        assert ugo.get("/login/code").headers["location"].startswith("/login/enrol")
        enrol(ugo, site, "ugo")
        assert ugo.get("/admin").status_code == 200
    assert "staff.role" in _audited(site, "ugo")
    # The admin removes the second factor (a lost phone): sessions end, enrolment comes again.
    with site.staff_client("ugo") as ugo:
        _post(admin_client, "/admin/staff/ugo", "/admin/staff/ugo/second-factor/reset")
        assert ugo.get("/dashboard").status_code == 303
    with site.sessions() as session:
        assert session.scalar(select(StaffUser.totp_secret).where(StaffUser.login == "ugo")) is None
    assert "staff.second_factor.reset" in _audited(site, "ugo")


def test_the_last_admin_cannot_be_disabled_or_demoted(site, admin_client):
    add_staff(site.sessions, "vera", "admin", "vera-password-001")
    # Every other admin goes (through the page), until alice is the last enabled one.
    others = [u.login for u in list_staff(site.sessions) if u.role == "admin" and u.enabled and u.login != ADMIN[0]]
    for login in others:
        assert (
            _post(admin_client, f"/admin/staff/{login}", f"/admin/staff/{login}/enabled", enabled="no").status_code
            == 303
        )
    with pytest.raises(UsageError) as disabled:
        set_staff_enabled(site.sessions, ADMIN[0], False, actor="test")
    with pytest.raises(UsageError) as demoted:
        set_role(site.sessions, ADMIN[0], "agent", actor="test")
    assert disabled.value.code == demoted.value.code == "WEB-STAFF-LAST-ADMIN"
    assert admin_client.get("/admin").status_code == 200
    for login in others:
        set_staff_enabled(site.sessions, login, True, actor="test")


def test_agents_cannot_manage_staff(site, agent_client):
    token = csrf_of(agent_client.get("/account").text)
    for path in ("/admin/staff/bob", "/admin/staff/bob/role", "/admin/sessions/revoke"):
        response = (
            agent_client.get(path)
            if path == "/admin/staff/bob"
            else agent_client.post(path, data={"csrf_token": token, "role": "admin", "session": "x"})
        )
        assert response.status_code == 403, path
    with site.sessions() as session:
        assert session.scalar(select(StaffUser.role).where(StaffUser.login == "bob")) == "agent"

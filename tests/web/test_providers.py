"""Provider pages: admins add and remove keys and disable accounts; the audit log shows it."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from tests.web.conftest import csrf_of
from tests.web.data import KINE, add_providers


def _public_key(comment: str) -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}"


def test_admin_adds_and_removes_a_key(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    added = admin_client.post(
        f"/providers/{KINE}/keys", data={"csrf_token": csrf_of(page), "public_key": _public_key("poste-accueil")}
    )
    assert added.status_code == 303
    page = admin_client.get(added.headers["location"]).text
    assert "poste-accueil" in page and "Clé ajoutée." in page
    fingerprint = re.search(r'name="fingerprint" value="(SHA256:[^"]+)"', page).group(1)
    removed = admin_client.post(
        f"/providers/{KINE}/keys/remove", data={"csrf_token": csrf_of(page), "fingerprint": fingerprint}
    )
    assert removed.status_code == 303
    assert fingerprint not in admin_client.get(f"/providers/{KINE}").text
    audit = admin_client.get(f"/audit?actor=alice&target_id={KINE}").text
    assert "provider.key.add" in audit and "provider.key.remove" in audit


def test_a_weak_or_malformed_key_is_refused_with_a_message(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    response = admin_client.post(
        f"/providers/{KINE}/keys", data={"csrf_token": csrf_of(page), "public_key": "ssh-rsa AAAAB3Nza"}
    )
    assert response.status_code == 400


def test_admin_disables_with_a_confirmed_reason_and_enables_login(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    for missing in ({"reason": "contrat résilié"}, {"confirm": "yes"}, {"confirm": "yes", "reason": " "}):
        refused = admin_client.post(
            f"/providers/{KINE}/enabled", data={"csrf_token": csrf_of(page), "enabled": "no", **missing}
        )
        assert refused.status_code == 400
        assert "<dd>active</dd>" in admin_client.get(f"/providers/{KINE}").text
    for data, shown in (
        ({"enabled": "no", "confirm": "yes", "reason": "contrat résilié le 30/11"}, "désactivée"),
        ({"enabled": "yes"}, "active"),
    ):
        page = admin_client.get(f"/providers/{KINE}").text
        response = admin_client.post(f"/providers/{KINE}/enabled", data={"csrf_token": csrf_of(page), **data})
        assert response.status_code == 303
        assert f"<dd>{shown}</dd>" in admin_client.get(f"/providers/{KINE}").text
    with site.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "provider.disable", AuditEvent.target_id == KINE)
        ).one()
    assert event.actor == "staff:alice" and event.detail["reason"] == "contrat résilié le 30/11"


def test_agents_see_providers_without_the_admin_forms(site, agent_client):
    add_providers(site)
    page = agent_client.get(f"/providers/{KINE}").text
    assert KINE in page and 'action="/providers/' not in page


def test_audit_filters(site, admin_client, agent_client):
    agent_client.get("/files")  # some activity by bob
    page = admin_client.get("/audit?action=staff.login&actor=bob").text
    rows = re.findall(r"<tr><td>[^<]+</td><td title=\"([^\"]+)\">([^<]+)</td><td class=\"mono\">([^<]+)</td>", page)
    # the actor as words, its id (what the filter takes) in the cell's title
    assert rows and all(
        (actor, shown, action) == ("staff:bob", "personnel bob", "staff.login") for actor, shown, action in rows
    )
    assert admin_client.get("/audit?date_from=nonsense").status_code == 400


def test_admin_sets_the_portal_contact_and_sends_a_password_link(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    saved = admin_client.post(
        f"/providers/{KINE}/portal/contact", data={"csrf_token": csrf_of(page), "email": "cabinet@example.lu"}
    )
    assert saved.status_code == 303
    page = admin_client.get(saved.headers["location"]).text
    assert "cabinet@example.lu" in page
    before = set((site.root / "outgoing").glob("*.eml")) if (site.root / "outgoing").exists() else set()
    sent = admin_client.post(f"/providers/{KINE}/portal/password-link", data={"csrf_token": csrf_of(page)})
    assert sent.status_code == 200
    link = re.search(r'id="password-link">([^<]+)<', sent.text).group(1)
    assert re.fullmatch(r"https?://[^/]+/password/[A-Za-z0-9_-]{40,}", link)
    mails = set((site.root / "outgoing").glob("*.eml")) - before
    assert any(link in mail.read_text() for mail in mails)
    audit = admin_client.get(f"/audit?actor=alice&target_id={KINE}").text
    assert "portal.contact" in audit and "portal.password_link" in audit
    agent_page = admin_client.get(f"/providers/{KINE}").text
    assert link not in agent_page  # shown once, never kept in clear

"""Provider pages: admins add and remove keys and disable accounts; the audit log shows it."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.web.conftest import csrf_of
from tests.web.data import KINE, add_providers


def _public_key(comment: str) -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}"


def test_admin_adds_and_removes_a_key(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    added = admin_client.post(f"/providers/{KINE}/keys", data={"csrf_token": csrf_of(page),
                                                               "public_key": _public_key("poste-accueil")})
    assert added.status_code == 303
    page = admin_client.get(added.headers["location"]).text
    assert "poste-accueil" in page and "Clé ajoutée." in page
    fingerprint = re.search(r'name="fingerprint" value="(SHA256:[^"]+)"', page).group(1)
    removed = admin_client.post(f"/providers/{KINE}/keys/remove", data={"csrf_token": csrf_of(page),
                                                                        "fingerprint": fingerprint})
    assert removed.status_code == 303
    assert fingerprint not in admin_client.get(f"/providers/{KINE}").text
    audit = admin_client.get(f"/audit?actor=alice&target_id={KINE}").text
    assert "provider.key.add" in audit and "provider.key.remove" in audit


def test_a_weak_or_malformed_key_is_refused_with_a_message(site, admin_client):
    add_providers(site)
    page = admin_client.get(f"/providers/{KINE}").text
    response = admin_client.post(f"/providers/{KINE}/keys", data={"csrf_token": csrf_of(page),
                                                                  "public_key": "ssh-rsa AAAAB3Nza"})
    assert response.status_code == 400


def test_admin_disables_and_enables_login(site, admin_client):
    add_providers(site)
    for state, shown in (("no", "désactivée"), ("yes", "active")):
        page = admin_client.get(f"/providers/{KINE}").text
        response = admin_client.post(f"/providers/{KINE}/enabled", data={"csrf_token": csrf_of(page),
                                                                          "enabled": state})
        assert response.status_code == 303
        assert f"<dd>{shown}</dd>" in admin_client.get(f"/providers/{KINE}").text


def test_agents_see_providers_without_the_admin_forms(site, agent_client):
    add_providers(site)
    page = agent_client.get(f"/providers/{KINE}").text
    assert KINE in page and 'action="/providers/' not in page


def test_audit_filters(site, admin_client, agent_client):
    agent_client.get("/files")  # some activity by bob
    page = admin_client.get("/audit?action=staff.login&actor=bob").text
    rows = re.findall(r"<tr><td>[^<]+</td><td title=\"([^\"]+)\">([^<]+)</td><td class=\"mono\">([^<]+)</td>", page)
    # the actor as words, its id (what the filter takes) in the cell's title
    assert rows and all((actor, shown, action) == ("staff:bob", "personnel bob", "staff.login")
                        for actor, shown, action in rows)
    assert admin_client.get("/audit?date_from=nonsense").status_code == 400

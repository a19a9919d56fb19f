"""No secret in any log line: the real ``gateway serve --role web`` output after follow-up pages
(accepted and refused), API calls and a staff login; and the redaction rules one by one."""

from __future__ import annotations

import json
import random
import signal
import subprocess

import httpx
import pytest

from gateway.logs import REDACTED, SECRET_PATTERNS, redact
from gateway.web.staff import add_staff, create_api_key
from tests.support import GATEWAY, clean_env, free_port, wait_until
from tests.web.staff_login import csrf_of, start_login

KEY_SHAPED = "gwk_" + "A1b2" * 10


@pytest.mark.parametrize(
    "line,secret",
    [
        pytest.param('GET /suivi/Zq3_k-9xYt HTTP/1.1" 404', "Zq3_k-9xYt", id="follow-up-path"),
        pytest.param("/suivi/Zq3_k-9xYt/documents/4/remove", "Zq3_k-9xYt", id="follow-up-sub-path"),
        pytest.param("/login?next=/suivi/Zq3_k-9xYt", "Zq3_k-9xYt", id="follow-up-in-next"),
        pytest.param("/login?next=%2Fsuivi%2FZq3_k-9xYt", "Zq3_k-9xYt", id="follow-up-escaped-next"),
        pytest.param("/api/v1/files?key=s3cr3tvalue&limit=5", "s3cr3tvalue", id="key-parameter"),
        pytest.param("/x?a=1&token=s3cr3tvalue", "s3cr3tvalue", id="token-parameter"),
        pytest.param("/x?API_KEY=s3cr3tvalue", "s3cr3tvalue", id="api-key-parameter"),
        pytest.param("Authorization: Bearer s3cr3t.value-1", "s3cr3t.value-1", id="bearer"),
        pytest.param(f"key {KEY_SHAPED} refused", KEY_SHAPED[4:], id="api-key-anywhere"),
        pytest.param("Cookie: __Host-gw_session=s3cr3tvalue; lang=fr", "s3cr3tvalue", id="session-cookie"),
        pytest.param("gw_csrf=s3cr3tvalue", "s3cr3tvalue", id="csrf-cookie"),
    ],
)
def test_secrets_are_redacted(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and REDACTED in cleaned


@pytest.mark.parametrize("line", ["/files?error_code=MAT-004&page=2", "/providers/45001237", "/login?next=/files"])
def test_ordinary_paths_are_left_alone(line):
    assert redact(line) == line


def _every_pattern(text: str) -> str:
    """What redact gives when every pattern is tried, needles or not."""
    for pattern, replacement, _needles in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def test_the_needles_never_skip_a_pattern_that_would_match():
    # Strings built from the patterns' pieces in mixed case, with non-ASCII letters that
    # IGNORECASE folds to ASCII ones: screening by needles must change nothing.
    pieces = ["/", "%2F", "%2f", "suivi", "SuIvI", "ſuivi", "suıvı", "?", "&", ";", "token", "ToKeN", "key", "API_KEY",
              "auth", "=", "Bearer", "bAsIc", "baſic", " ", "  ", "gwk_", "GWK_", "gw_session", "__Host-gw_csrf",
              "abc123", "K101", "-", ".", "45001237"]  # fmt: skip
    generator = random.Random(12)
    texts = ["".join(generator.choice(pieces) for _ in range(generator.randint(1, 8))) for _ in range(5000)]
    changed = [text for text in texts if _every_pattern(text) != text]
    assert len(changed) > 100  # the corpus does exercise the patterns
    for text in texts:
        assert redact(text) == _every_pattern(text), text


def test_the_served_log_holds_no_token_key_or_session(project, engine, sessions, tmp_path):
    add_staff(sessions, "olga", "agent", "olga-password-001")
    api_key = create_api_key(sessions, "log reader", "backoffice", actor="test")
    port = free_port()
    project.config.write_text(project.config.read_text() + f"[web]\nport = {port}\naccess_log = true\n")
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [GATEWAY, "serve", "--role", "web", "--config", str(project.config)],
            env=clean_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    secrets: list[str] = [api_key]
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout_s=60, interval_s=0.2)
        with httpx.Client(base_url=url, timeout=30) as applicant:
            form = applicant.get("/demande")
            created = applicant.post("/demande", data={"csrf_token": csrf_of(form.text), "name": "Atelier Test"})
            assert created.status_code == 303, created.text
            followup = created.headers["location"].split("?")[0]
            token = followup.rsplit("/", 1)[1]
            secrets += [token, applicant.cookies.get("gw_csrf")]
            assert applicant.get(followup).status_code == 200  # accepted
            assert applicant.post(f"{followup}/data", data={"name": "x"}).status_code == 403  # refused: no CSRF
            assert applicant.get(f"{followup}/documents/999999").status_code in (404, 405)
            assert applicant.get(f"{followup[:-4]}zzzz").status_code == 404  # refused: unknown link
        with httpx.Client(base_url=url, timeout=30) as machine:
            assert machine.get("/api/v1/providers", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
            assert (
                machine.get("/api/v1/providers", headers={"Authorization": f"Bearer {KEY_SHAPED}"}).status_code == 401
            )
            assert machine.get(f"/api/v1/providers?key={api_key}").status_code == 401
        with httpx.Client(base_url=url, timeout=30) as staff:
            assert start_login(staff, "olga", "olga-password-001").status_code == 303
            secrets.append(staff.cookies.get("gw_session"))
            assert staff.get(f"/login?next={followup}").status_code == 200
            assert staff.get("/dashboard").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    secrets.append(KEY_SHAPED[4:])
    lines = log_path.read_text().splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    # The log does speak of these requests (so the check below is not vacuous) ...
    refused = [e for e in events if e.get("event") == "request refused"]
    assert {"/suivi/[redacted]/data", "/suivi/[redacted]"} <= {e.get("path") for e in refused}
    assert any("/api/v1/providers?key=[redacted]" in e.get("event", "") for e in events)  # uvicorn's access log
    assert any(f"/login?next=/suivi/{REDACTED}" in e.get("event", "") for e in events)
    # ... and no line holds any of the secrets.
    for secret in filter(None, secrets):
        leaking = [line for line in lines if secret in line]
        assert leaking == [], f"a secret is in the log: {leaking[:3]}"

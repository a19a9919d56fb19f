"""``gateway staff``, ``gateway apikey`` and ``gateway serve --role web``, run as an operator would."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts.passwords import verify_password
from gateway.store.models.audit import AuditEvent
from gateway.store.models.web import StaffUser
from gateway.web.staff import add_staff, api_client, list_staff
from gateway.web.staff_sessions import list_sessions, new_ref
from tests.support import GATEWAY, clean_env, free_port, run_gateway, wait_until


@pytest.fixture
def migrated(project, engine):
    """The project with its database migrated (in process: the commands are what is tested)."""
    return project


def test_staff_add_with_password_from_stdin(migrated, sessions):
    result = run_gateway(
        "staff",
        "add",
        "dora",
        "--role",
        "admin",
        "--password-stdin",
        config=migrated.config,
        input="a-long-enough-password\n",
    )
    assert result.returncode == 0, result.stderr
    (user,) = list_staff(sessions)
    assert (user.login, user.role) == ("dora", "admin")
    assert verify_password(user.password_hash, "a-long-enough-password")


@pytest.mark.heavy
@pytest.mark.parametrize(
    "args,password",
    [
        pytest.param(["eve", "--role", "boss"], "a-long-enough-password", id="unknown-role"),
        pytest.param(["eve", "--role", "agent"], "short", id="short-password"),
        pytest.param(["Eve Smith", "--role", "agent"], "a-long-enough-password", id="bad-login"),
    ],
)
def test_staff_add_refusals_exit_2(migrated, args, password):
    result = run_gateway("staff", "add", *args, "--password-stdin", config=migrated.config, input=password + "\n")
    assert result.returncode == 2, result.stdout + result.stderr


def test_apikey_printed_once_and_revocable(migrated, sessions):
    created = run_gateway("apikey", "create", "back-office", "--scope", "backoffice", config=migrated.config)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("gwk_") and len(key) > 40
    assert api_client(sessions, key).scope == "backoffice"
    assert run_gateway("apikey", "revoke", "back-office", config=migrated.config).returncode == 0
    assert api_client(sessions, key) is None


def test_serve_web_role_answers_and_stops_on_sigterm(migrated):
    port = free_port()
    config = migrated.config
    config.write_text(config.read_text() + f"[web]\nport = {port}\n")
    process = subprocess.Popen(
        [GATEWAY, "serve", "--role", "web", "--config", str(config)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout_s=30, interval_s=0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/demande", timeout=5).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_bad_trusted_proxy_is_a_configuration_error(migrated):
    migrated.config.write_text(migrated.config.read_text() + '[web]\ntrusted_proxies = ["10.0.0.0/33"]\n')
    result = run_gateway("serve", "--role", "web", config=migrated.config, timeout=60)
    assert result.returncode == 2
    assert "web.trusted_proxies" in result.stderr


def _staff_with_a_session(sessions, login: str):
    """A staff member with one open session (as after a login from 192.0.2.9)."""
    from gateway.web.lockout import LockoutPolicy
    from gateway.web.login import Client, LoginPolicy, check_password

    add_staff(sessions, login, "agent", f"{login}-password-001", actor="test")
    check_password(
        sessions,
        login,
        f"{login}-password-001",
        client=Client("192.0.2.9", "cli test browser"),
        policy=LoginPolicy(LockoutPolicy(5, 900), 28800, ("admin",)),
        now=dt.datetime.now(dt.UTC),
    )


def _cli_actions(sessions, login: str) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.actor == "cli", AuditEvent.target_id == login)
                .order_by(AuditEvent.id)
            )
        )


def test_a_session_ref_never_reads_as_an_option():
    # end-session takes the ref as an argument: one beginning with "-" was parsed as an option
    refs = [new_ref() for _ in range(2000)]
    assert not [ref for ref in refs if ref.startswith("-")]
    assert len(set(refs)) == len(refs)


def test_staff_sessions_listed_and_ended_from_the_command_line(migrated, sessions):
    _staff_with_a_session(sessions, "xena")
    listed = run_gateway("staff", "sessions", "xena", config=migrated.config)
    assert listed.returncode == 0 and "192.0.2.9" in listed.stdout, listed.stderr
    now = dt.datetime.now(dt.UTC)
    (info,) = list_sessions(sessions, login="xena", now=now)
    assert info.ref in listed.stdout  # whole, so it can be copied into end-session
    assert run_gateway("staff", "end-session", info.ref, config=migrated.config).returncode == 0
    assert list_sessions(sessions, login="xena", now=now) == []
    assert _cli_actions(sessions, "xena") == ["staff.session.revoke"]


@pytest.mark.heavy
def test_staff_commands_share_the_web_service(migrated, sessions):
    _staff_with_a_session(sessions, "yann")
    assert run_gateway("staff", "role", "yann", "admin", config=migrated.config).returncode == 0
    assert list_sessions(sessions, login="yann", now=dt.datetime.now(dt.UTC)) == []
    assert run_gateway("staff", "reset-second-factor", "yann", config=migrated.config).returncode == 0
    assert (
        run_gateway(
            "staff", "reset-password", "yann", "--password-stdin", config=migrated.config, input="yann-password-002\n"
        ).returncode
        == 0
    )
    # The command line may disable even the last admin (an emergency); the web may not.
    assert run_gateway("staff", "disable", "yann", config=migrated.config).returncode == 0
    assert run_gateway("staff", "enable", "yann", config=migrated.config).returncode == 0
    with sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == "yann"))
    assert (user.role, user.enabled) == ("admin", True) and verify_password(user.password_hash, "yann-password-002")
    assert _cli_actions(sessions, "yann") == [
        "staff.role",
        "staff.second_factor.reset",
        "staff.password.reset",
        "staff.disable",
        "staff.enable",
    ]


def test_an_unknown_role_needing_a_second_factor_is_a_configuration_error(migrated):
    migrated.config.write_text(migrated.config.read_text() + '[web]\nrequire_second_factor = ["admin", "boss"]\n')
    result = run_gateway("serve", "--role", "web", config=migrated.config, timeout=60)
    assert result.returncode == 2
    assert "web.require_second_factor" in result.stderr

"""``gateway serve`` checks its ports before anything else: a taken port stops it at once,
with exit status 2 and a message naming the setting, the port and the variable."""

import socket
import subprocess

import pytest

from tests.support import GATEWAY, clean_env, free_port


@pytest.fixture
def migrated(project, engine):
    return project


@pytest.mark.parametrize(
    "section", [pytest.param("sftp", id="sftp-port-taken"), pytest.param("web", id="web-port-taken")]
)
def test_a_taken_port_stops_serve_before_anything_is_printed(migrated, section):
    ports = {"sftp": free_port(), "web": free_port()}
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", ports[section]))
        occupant.listen(1)
        env = clean_env(
            {
                "GATEWAY_DEMO__ENABLED": "true",
                "GATEWAY_SFTP__PORT": str(ports["sftp"]),
                "GATEWAY_WEB__PORT": str(ports["web"]),
            }
        )
        run = subprocess.run(
            [GATEWAY, "serve", "--config", str(migrated.config)], env=env, capture_output=True, text=True, timeout=60
        )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"{section}.port = {ports[section]}" in run.stderr
    assert "already in use" in run.stderr
    assert f"GATEWAY_{section.upper()}__PORT" in run.stderr
    assert "CFG-PORT" in run.stderr
    # stopped before the startup duties: no demo command printed, no demo key made
    assert "demo " not in run.stdout
    assert not (migrated.root / "var" / "demo").exists()


def test_the_single_process_mode_checks_too(migrated):
    port = free_port()
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", port))
        occupant.listen(1)
        env = clean_env({"GATEWAY_SFTP__PORT": str(port), "GATEWAY_WEB__PORT": str(free_port())})
        run = subprocess.run(
            [GATEWAY, "serve", "--single-process", "--role", "sftp", "--config", str(migrated.config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 2 and f"sftp.port = {port}" in run.stderr and "GATEWAY_SFTP__PORT" in run.stderr

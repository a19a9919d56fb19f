"""The systemd units in deploy/: valid for systemd, sandboxed as a security review expects,
one per role, consistent with the example configuration and the system user they run as."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.cli.serve import ROLES, default_roles
from gateway.config import load_settings
from gateway.config_check import personal_data_paths
from tests.conftest import REPO
from tests.support import GATEWAY, missing_tool

DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
INSTALLED_GATEWAY = "/opt/gateway/.venv/bin/gateway"
#: the directives a security team looks for, with the value every service unit must have
SANDBOX = {
    "User": "gateway",
    "Group": "gateway",
    "UMask": "0077",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/gateway",
    "PrivateTmp": "yes",
    "NoNewPrivileges": "yes",
    "ProtectHome": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "Environment": "GATEWAY_CONFIG=/etc/gateway/config.toml",
}
#: exposure score (0 safest .. 10) systemd-analyze security gives the units today, with room for
#: a small change; a unit above it has lost part of its sandbox
MAX_EXPOSURE = 2.0


def directives(unit: Path) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values (a key may repeat), as systemd reads ``Key=value`` lines."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in unit.read_text().splitlines():
        if not line.strip() or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None and key == key.strip(), f"{unit.name}: not a Key=value line: {line!r}"
        current.setdefault(key, []).append(value)
    return sections


def services() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


@pytest.fixture
def runnable_units(tmp_path) -> Path:
    """The units with ExecStart pointing at this checkout's gateway (verify checks it exists)."""
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED_GATEWAY, GATEWAY))
    return tmp_path


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing_tool(f"{name} is not installed (Debian package systemd)")
    return path


#: roles a plain ``gateway serve`` runs only when configured: their units are enabled one by one
#: (``WantedBy=gateway.target``), not started by the target itself
OPTIONAL_ROLES = {"publisher"}


def test_every_role_has_a_unit_started_by_the_target():
    target = directives(UNITS / "gateway.target")
    wanted = target["Unit"]["Wants"][0].split()
    for role in ROLES:
        unit = UNITS / f"gateway-{role}.service"
        service = directives(unit)["Service"]
        assert service["ExecStart"] == [f"{INSTALLED_GATEWAY} serve --role {role} --no-prepare"]
        assert service["Type"] == ["notify"] and service["KillMode"] == ["mixed"]
        assert re.fullmatch(r"\d+[KMG]", service["MemoryMax"][0]), unit.name
        if role in OPTIONAL_ROLES:
            assert unit.name not in wanted and directives(unit)["Install"]["WantedBy"] == ["gateway.target"]
        else:
            assert unit.name in wanted
        assert directives(unit)["Unit"]["PartOf"] == ["gateway.target"]
    assert "gateway-purge.timer" in wanted
    assert directives(UNITS / "gateway-purge.timer")["Timer"]["OnCalendar"]


def test_the_portal_runs_as_its_own_unit_on_its_own_listener():
    """Providers reach the portal; the staff web and the REST API can stay off their network."""
    unit = UNITS / "gateway-portal.service"
    service = directives(unit)["Service"]
    assert service["ExecStart"] == [f"{INSTALLED_GATEWAY} serve --role portal --no-prepare"]
    assert service["Type"] == ["notify"] and service["KillMode"] == ["mixed"]
    assert directives(unit)["Unit"]["PartOf"] == ["gateway.target"]
    assert unit.name in directives(UNITS / "gateway.target")["Unit"]["Wants"][0].split()
    settings = load_settings(DEPLOY / "gateway.toml", environ={})
    assert settings.portal.port != settings.web.port
    assert settings.portal.public_url.startswith("https://") and settings.portal.public_url != settings.web.public_url
    assert "portal" in default_roles(settings)


@pytest.mark.parametrize("unit", [pytest.param(u, id=u.name) for u in services()])
def test_each_service_is_sandboxed(unit):
    service = directives(unit)["Service"]
    for key, value in SANDBOX.items():
        assert service.get(key) == [value], f"{unit.name}: {key}={value} expected, found {service.get(key)}"
    assert "MemoryMax" in service, unit.name
    assert "~@resources" not in " ".join(service["SystemCallFilter"])  # setrlimit: the children's limits


def test_systemd_accepts_the_units(runnable_units):
    analyze = tool("systemd-analyze")
    files = sorted(str(p) for p in runnable_units.iterdir())
    result = subprocess.run([analyze, "verify", "--man=no", *files], capture_output=True, text=True, timeout=120)
    # unknown or misspelt keys are only warnings for systemd: any output is a defect here
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr


@pytest.mark.parametrize("unit", [pytest.param(u.name, id=u.name) for u in services()])
def test_exposure_stays_low(runnable_units, unit):
    analyze = tool("systemd-analyze")
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(runnable_units / unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout + result.stderr)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, result.stdout


def test_example_configuration_keeps_personal_data_where_the_units_may_write():
    settings = load_settings(DEPLOY / "gateway.toml", environ={})
    writable = Path(SANDBOX["ReadWritePaths"])
    for name, path in personal_data_paths(settings).items():
        assert path.is_relative_to(writable), f"{name}: {path} is outside {writable}"
    assert settings.demo.enabled is False and settings.log.format == "json"


def test_the_system_user_is_created_as_the_units_expect(tmp_path):
    sysusers = tool("systemd-sysusers")
    (tmp_path / "etc" / "sysusers.d").mkdir(parents=True)
    shutil.copy(DEPLOY / "sysusers.d" / "gateway.conf", tmp_path / "etc" / "sysusers.d")
    result = subprocess.run([sysusers, f"--root={tmp_path}"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [entry] = [
        line.split(":")
        for line in (tmp_path / "etc" / "passwd").read_text().splitlines()
        if line.startswith("gateway:")
    ]
    assert entry[5] == "/var/lib/gateway" and entry[6] == "/usr/sbin/nologin"
    assert int(entry[2]) < 1000  # a system user

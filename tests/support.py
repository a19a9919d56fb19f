"""Helpers shared by the tests: waiting without bare sleeps, ports, running the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

GATEWAY = str(Path(sys.executable).parent / "gateway")


def wait_until(predicate: Callable[[], object], timeout_s: float = 5.0, interval_s: float = 0.02) -> object:
    """Polls ``predicate`` until it returns something truthy; fails the test on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s: {predicate!r}")
        time.sleep(interval_s)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a subprocess: no GATEWAY_* leaking in from the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(extra or {})
    return env


def run_gateway(
    *args: str,
    config: Path | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Runs the installed ``gateway`` command as an operator would; never raises on exit status."""
    argv = [GATEWAY, *args]
    if config is not None:
        argv += ["--config", str(config)]
    return subprocess.run(
        argv, input=input, capture_output=True, text=True, env=clean_env(env), cwd=cwd, timeout=timeout
    )


def missing_tool(why: str) -> None:
    """Skips a test whose outside tool is missing; under CI (CI=true) fails instead, because
    scripts/install installs every tool the suite needs and a silent skip would hide that."""
    import pytest

    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{why} (scripts/install should have installed it)")
    pytest.skip(why)

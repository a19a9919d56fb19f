"""``gateway serve``: every part of the gateway in one process, or the roles asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from gateway.accounts.demo import ensure_demo_accounts
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.errors import UsageError
from gateway.logs import get_logger
from gateway.service import Service, run_services

log = get_logger(__name__)

ROLES = ("sftp", "worker", "watcher", "web")

#: role -> builder of its services; each area registers its builder here
ROLE_BUILDERS: dict[str, Callable[[AppContext], list[Service]]] = {}

from gateway.cli import web as _web  # noqa: E402  (each area registers its role below)

ROLE_BUILDERS["web"] = _web.build_services

from gateway.cli import sftp as _sftp  # noqa: E402

ROLE_BUILDERS["sftp"] = _sftp.build_services

from gateway.cli import exchange as _exchange  # noqa: E402

ROLE_BUILDERS["worker"] = _exchange.build_workers

from gateway.cli import applications as _applications  # noqa: E402


def _together(*builders: Callable[[AppContext], list[Service]]) -> Callable[[AppContext], list[Service]]:
    """One role served by several areas: each builder's services, in order."""
    return lambda context: [service for build in builders for service in build(context)]


ROLE_BUILDERS["watcher"] = _together(_exchange.build_watcher, _applications.build_maildrop)


def serve(
    role: Annotated[str, typer.Option(help="Comma-separated subset of sftp,worker,watcher,web.")] = ",".join(ROLES),
    config: ConfigOption = None,
) -> None:
    """Runs the gateway until SIGINT/SIGTERM, then finishes in-flight work and exits."""
    roles = [r.strip() for r in role.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise UsageError(f"unknown role(s) {', '.join(unknown) or '(none)'}: choose among {', '.join(ROLES)}")
    context = app_context(config, actor="system")
    context.accounts.sync_mirror()
    _applications.build_applications(context).register_missing_providers()
    if context.settings.demo.enabled:
        for demo in ensure_demo_accounts(context.accounts, context.settings.paths.data):
            known_hosts = context.settings.paths.data / "demo" / "known_hosts"
            print(f"demo {demo.profession} {demo.code}: "
                  f"{demo.sftp_command(context.settings.sftp.host, context.settings.sftp.port, known_hosts)}",
                  flush=True)
    services: list[Service] = []
    for name in roles:
        builder = ROLE_BUILDERS.get(name)
        if builder is None:
            log.warning("role not available in this build", role=name)
            continue
        services.extend(builder(context))
    run_services(services)


def register(app: typer.Typer) -> None:
    """Adds ``serve`` to the root app."""
    app.command("serve")(serve)

"""``gateway serve``: every part of the gateway in one process, or the roles asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from gateway.accounts.demo import ensure_demo_accounts
from gateway.cli import applications as _applications
from gateway.cli import exchange as _exchange
from gateway.cli import forwarded as _forwarded
from gateway.cli import sftp as _sftp
from gateway.cli import web as _web
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.errors import UsageError
from gateway.service import Service, run_services

Builder = Callable[[AppContext], list[Service]]


def _together(*builders: Builder) -> Builder:
    """One role served by several areas: each builder's services, in order."""
    return lambda context: [service for build in builders for service in build(context)]


#: role -> the builder of its services, in the order they start (each area provides its own)
ROLE_BUILDERS: dict[str, Builder] = {
    "sftp": _sftp.build_services,
    "worker": _exchange.build_workers,
    # the watcher role watches both drop folders: the inbox spool and the mail drop
    "watcher": _together(_exchange.build_watcher, _applications.build_maildrop),
    "web": _web.build_services,
    # pushes forwarded records to the broker; in the default set only when one is configured
    "publisher": _forwarded.build_publisher,
}
ROLES = tuple(ROLE_BUILDERS)


def default_roles(context: AppContext) -> list[str]:
    """The roles of a plain ``gateway serve``: all, the publisher only when a broker is set."""
    return [r for r in ROLES if r != "publisher" or _forwarded.publishing(context.settings)]


def serve(
    role: Annotated[str, typer.Option(help=f"Comma-separated subset of {','.join(ROLES)} (default: all; "
                                           "publisher only when forwarding.amqp_url is set).")] = "",
    config: ConfigOption = None,
) -> None:
    """Runs the gateway until SIGINT/SIGTERM, then finishes in-flight work and exits."""
    roles = [r.strip() for r in role.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or (role.strip() and not roles):
        raise UsageError(f"unknown role(s) {', '.join(unknown) or '(none)'}: choose among {', '.join(ROLES)}")
    context = app_context(config, actor="system")
    roles = roles or default_roles(context)
    context.accounts.sync_mirror()
    _applications.build_applications(context).register_missing_providers()
    if context.settings.demo.enabled:
        for demo in ensure_demo_accounts(context.accounts, context.settings.paths.data):
            known_hosts = context.settings.paths.data / "demo" / "known_hosts"
            print(f"demo {demo.profession} {demo.code}: "
                  f"{demo.sftp_command(context.settings.sftp.host, context.settings.sftp.port, known_hosts)}",
                  flush=True)
    run_services([service for name in roles for service in ROLE_BUILDERS[name](context)])


def register(app: typer.Typer) -> None:
    """Adds ``serve`` to the root app."""
    app.command("serve")(serve)

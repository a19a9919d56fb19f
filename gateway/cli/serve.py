"""``gateway serve``: each role in a supervised child process, or all of them in this one.

By default the command is a supervisor (:mod:`gateway.supervisor`): it runs the startup
duties once, then one child per role (``processes.workers`` children for the workers), each
being ``gateway serve --role ROLE --single-process --no-prepare`` with its role's limits.
``--single-process`` runs the roles asked for in this process (debugging, tests, and what
each child runs).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from gateway.accounts.demo import ensure_demo_accounts
from gateway.cli import applications as _applications
from gateway.cli import exchange as _exchange
from gateway.cli import forwarded as _forwarded
from gateway.cli import portal as _portal
from gateway.cli import sftp as _sftp
from gateway.cli import web as _web
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.cli.ports import check_ports
from gateway.config import Settings
from gateway.config_check import check_role_names
from gateway.errors import ConfigError, UsageError
from gateway.logs import get_logger
from gateway.service import Service, notify, run_services
from gateway.supervisor import (
    ChildSpec,
    Limits,
    RestartPolicy,
    StatusBoard,
    Supervisor,
    apply_limits,
    die_with_parent,
    report_ready,
    supervised,
)

Builder = Callable[[AppContext], list[Service]]
log = get_logger(__name__)


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
    # the provider portal, on its own listener (portal.host, portal.port)
    "portal": _portal.build_services,
    # pushes forwarded records to the broker; in the default set only when one is configured
    "publisher": _forwarded.build_publisher,
}
ROLES = tuple(ROLE_BUILDERS)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and systemd narrow)."""
    return len(os.sched_getaffinity(0)) or 1


#: roles run as several processes, and how many; every other role runs as one
ROLE_PROCESSES: dict[str, Callable[[Settings], int]] = {
    "worker": lambda s: s.processes.workers or available_cores(),
}


def _one_process(_settings: Settings) -> int:
    return 1


def role_limits(settings: Settings, role: str) -> Limits:
    """The limits of one process of ``role``, from ``[processes]``."""
    return Limits(
        memory_bytes=settings.processes.memory_max.get(role, 0), open_files=settings.processes.open_files.get(role, 0)
    )


def child_specs(settings: Settings, roles: list[str]) -> list[ChildSpec]:
    """The children of a supervisor of ``roles``, in the order they start."""
    config = ("--config", str(settings.source)) if settings.source is not None else ()
    specs = []
    for role in roles:
        argv = (sys.executable, "-m", "gateway", "serve", "--role", role, "--single-process", "--no-prepare", *config)
        count = ROLE_PROCESSES.get(role, _one_process)(settings)
        specs += [ChildSpec(f"{role}-{n}", role, argv) for n in range(1, count + 1)]
    return specs


def restart_policy(settings: Settings) -> RestartPolicy:
    """``[processes]`` as the supervisor's policy."""
    p = settings.processes
    return RestartPolicy(
        delay=p.restart_delay,
        delay_max=p.restart_delay_max,
        crash_loop_exits=p.crash_loop_exits,
        crash_loop_window=p.crash_loop_window,
        stop_timeout=p.stop_timeout,
    )


def child_environment(settings: Settings) -> dict[str, str]:
    """This process's environment for the children, with the log format decided once here
    (``auto`` would make children, writing to a pipe, choose JSON under a console)."""
    env = dict(os.environ)
    if settings.log.format == "auto":
        env["GATEWAY_LOG__FORMAT"] = "console" if sys.stderr.isatty() else "json"
    return env


def prepare(context: AppContext) -> None:
    """The duties that run once per start, before any role: the account mirror, providers
    approved while the gateway was down, and the demo accounts (with their commands printed)."""
    context.accounts.sync_mirror()
    _applications.build_applications(context).decisions.register_missing_providers()
    if context.settings.demo.enabled:
        for demo in ensure_demo_accounts(context.accounts, context.settings.paths.data):
            known_hosts = context.settings.paths.data / "demo" / "known_hosts"
            print(
                f"demo {demo.profession} {demo.code}: "
                f"{demo.sftp_command(context.settings.sftp.host, context.settings.sftp.port, known_hosts)}",
                flush=True,
            )


def web_address_line(settings: Settings) -> str:
    """The line ``gateway serve`` prints so that a person knows where to point a browser."""
    host = settings.web.host
    shown = f"[{host}]" if ":" in host else ("127.0.0.1" if host in ("0.0.0.0", "") else host)
    base = f"http://{shown}:{settings.web.port}"
    line = f"web {base}/ (staff pages; applicants: {base}/demande; API documentation: {base}/api/docs)"
    if settings.web.public_url.rstrip("/") != base:
        line += f"; public address {settings.web.public_url}"
    return line


def default_roles(settings: Settings) -> list[str]:
    """The roles of a plain ``gateway serve``: all, the publisher only when a broker is set."""
    return [r for r in ROLES if r != "publisher" or _forwarded.publishing(settings)]


def _roles(role: str) -> list[str]:
    """The roles named by ``--role`` (empty: none named, the default set applies)."""
    roles = [r.strip() for r in role.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or (role.strip() and not roles):
        raise UsageError(f"unknown role(s) {', '.join(unknown) or '(none)'}: choose among {', '.join(ROLES)}")
    return roles


def _check_limit_roles(settings: Settings) -> None:
    problems = check_role_names(settings, ROLES)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the configuration", code="CFG-003", problems=problems)


def serve(
    role: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated subset of {','.join(ROLES)} (default: all; "
            "publisher only when forwarding.amqp_url is set)."
        ),
    ] = "",
    single_process: Annotated[
        bool,
        typer.Option("--single-process", help="Run the roles in this one process: no supervisor, no per-role limits."),
    ] = False,
    run_prepare: Annotated[
        bool,
        typer.Option(
            "--prepare/--no-prepare",
            help="Run the startup duties (account mirror, missing providers, demo "
            "accounts) first; off where another unit runs them.",
        ),
    ] = True,
    prepare_only: Annotated[bool, typer.Option("--prepare-only", help="Run the startup duties and exit.")] = False,
    config: ConfigOption = None,
) -> None:
    """Runs the gateway until SIGINT/SIGTERM, then finishes in-flight work and exits."""
    roles = _roles(role)
    child = supervised()
    if child is not None:
        die_with_parent(child.supervisor_pid)  # first: nothing may outlive the supervisor
    context = app_context(config, actor="system")
    settings = context.settings
    roles = roles or default_roles(settings)
    _check_limit_roles(settings)
    if child is None:
        # before the demo commands are printed and any child starts; children skip it (their
        # supervisor checked, and a restarted child must not trip over a sibling's port)
        check_ports(settings, roles)
    if child is not None and len(roles) == 1:
        applied = apply_limits(role_limits(settings, roles[0]))
        log.info("limits applied", **applied)
    if run_prepare and child is None:
        prepare(context)
    if prepare_only:
        return
    if child is None and "web" in roles:
        print(web_address_line(settings), flush=True)
    if single_process or child is not None:
        services = [service for name in roles for service in ROLE_BUILDERS[name](context)]
        if child is not None:
            run_services(services, ready_event="role ready", on_ready=lambda: report_ready(child.ready_fd))
        else:
            run_services(services, on_ready=lambda: notify("READY=1"))
        return
    context.engine.dispose()  # the children open their own connections
    supervisor = Supervisor(
        child_specs(settings, roles),
        restart_policy(settings),
        env=child_environment(settings),
        status=StatusBoard(settings.paths.data / "processes"),
    )
    status = supervisor.run()
    if status:
        raise typer.Exit(status)


def register(app: typer.Typer) -> None:
    """Adds ``serve`` to the root app."""
    app.command("serve")(serve)

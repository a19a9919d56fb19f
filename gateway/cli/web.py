"""Commands of the web area: ``gateway staff ...``, ``gateway apikey ...``, and the web role.

This module maps the settings onto :class:`gateway.web.app.WebConfig`; below it the web
layer sees only plain values.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.accounts.mirror import AccountMirror
from gateway.cli.applications import build_applications, build_drop
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.cli.exchange import spool_paths
from gateway.errors import ConfigError, UsageError
from gateway.service import Service
from gateway.web import secret, staff
from gateway.web.staff import LockoutPolicy

staff_app = typer.Typer(help="Staff accounts of the web interface.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of machine clients (REST API).", no_args_is_help=True)
_out = Console(highlight=False, soft_wrap=True)


def web_config(context: AppContext):  # noqa: ANN201 - WebConfig, imported late to keep the CLI light
    """The web layer's values, from the settings."""
    from gateway.web.app import WebConfig

    s = context.settings
    for network in s.web.trusted_proxies:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"web.trusted_proxies: {network!r} is not an address or network", code="CFG-003",
                              problems=[f"web.trusted_proxies: {network!r} is not an address or network "
                                        "(example: 10.0.0.0/8)"]) from None
    spools = spool_paths(s)
    return WebConfig(
        secret=secret.load_or_create(s.paths.data), data=s.paths.data, inbox=s.paths.inbox, outbox=s.paths.outbox,
        providers=s.paths.providers, applications=s.applications_path,
        archive=spools.archive,
        public_url=s.web.public_url, trusted_proxies=tuple(s.web.trusted_proxies),
        session_max_age=s.web.session_max_age,
        lockout=LockoutPolicy(s.web.lockout_after_failures, s.web.lockout_seconds),
        timezone=s.exchange.timezone, sftp_host=s.sftp.host, sftp_port=s.sftp.port,
        max_document_bytes=s.intake.max_document_bytes,
        max_form_bytes=s.web.max_form_bytes, max_field_bytes=s.web.max_field_bytes,
        intake={"applications_per_hour": s.intake.applications_per_address_per_hour,
                "uploads_per_hour": s.intake.uploads_per_address_per_hour,
                "followup_days_after_close": s.intake.followup_days_after_close},
    )


def build_app(context: AppContext):  # noqa: ANN201 - FastAPI
    """The web application for these settings."""
    from gateway.web.app import create_app

    from gateway.intake.unattached import UnattachedMail

    s = context.settings
    mirror = AccountMirror(s.accounts_path, s.paths.inbox, s.paths.outbox)
    applications = build_applications(context)
    return create_app(web_config(context), sessions=context.sessions, engine=context.engine, mirror=mirror,
                      applications=applications, mail=UnattachedMail(build_drop(context, applications)))


def build_services(context: AppContext) -> list[Service]:
    """The ``web`` role of ``gateway serve``."""
    from gateway.web.service import WebService

    return [WebService(build_app(context), context.settings.web.host, context.settings.web.port)]


def _password(password_stdin: bool) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not value:
        raise UsageError("an empty password is not accepted")
    return value


@staff_app.command("add")
def staff_add(
    login: Annotated[str, typer.Argument(help="Login (lower-case letters, digits, . _ -).")],
    role: Annotated[str, typer.Option(help="agent (review and decide) or admin (also accounts, keys, staff).")] = "agent",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")] = False,
    config: ConfigOption = None,
) -> None:
    """Creates a staff account, or resets the role and password of an existing one."""
    context = app_context(config)
    user = staff.add_staff(context.sessions, login, role, _password(password_stdin), actor="cli")
    _out.print(f"staff account {user.login} ({user.role}) saved")


@staff_app.command("list")
def staff_list(config: ConfigOption = None) -> None:
    """Lists staff accounts."""
    context = app_context(config)
    table = Table("login", "role", "enabled", "last login")
    for user in staff.list_staff(context.sessions):
        table.add_row(user.login, user.role, "yes" if user.enabled else "no",
                      user.last_login_at.isoformat() if user.last_login_at else "")
    _out.print(table)


@staff_app.command("disable")
def staff_disable(login: str, config: ConfigOption = None) -> None:
    """Disables a staff account and ends its sessions."""
    staff.set_staff_enabled(app_context(config).sessions, login, False, actor="cli")
    _out.print(f"staff account {login} disabled")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="A name telling what uses the key.")],
    scope: Annotated[str, typer.Option(help="backoffice (read-only) or admin.")] = "backoffice",
    config: ConfigOption = None,
) -> None:
    """Creates an API key and prints it once (only its hash is kept)."""
    key = staff.create_api_key(app_context(config).sessions, name, scope, actor="cli")
    print(key, flush=True)


@apikey_app.command("revoke")
def apikey_revoke(name: str, config: ConfigOption = None) -> None:
    """Revokes an API key; it stops working at once."""
    staff.revoke_api_key(app_context(config).sessions, name, actor="cli")
    _out.print(f"API key {name} revoked")


@apikey_app.command("list")
def apikey_list(config: ConfigOption = None) -> None:
    """Lists API keys (never the keys themselves)."""
    table = Table("name", "scope", "prefix", "created", "revoked")
    for key in staff.list_api_keys(app_context(config).sessions):
        table.add_row(key.name, key.scope, key.prefix, key.created_at.isoformat(),
                      key.revoked_at.isoformat() if key.revoked_at else "")
    _out.print(table)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(staff_app, name="staff")
    app.add_typer(apikey_app, name="apikey")

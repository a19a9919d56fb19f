"""Commands of the web area: ``gateway staff ...``, ``gateway apikey ...``, and the web role.

This module maps the settings onto :class:`gateway.web.app.WebConfig`; below it the web
layer sees only plain values.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.accounts.mirror import AccountMirror
from gateway.cli.applications import build_applications, build_drop
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.cli.exchange import spool_paths
from gateway.clock import utcnow
from gateway.errors import UsageError
from gateway.service import Service
from gateway.web import secret, staff
from gateway.web.lockout import LockoutPolicy
from gateway.web.staff_sessions import list_sessions, revoke

if TYPE_CHECKING:  # imported where used, to keep the CLI light
    from fastapi import FastAPI

    from gateway.web.app import WebConfig

staff_app = typer.Typer(help="Staff accounts of the web interface.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of machine clients (REST API).", no_args_is_help=True)
# Wide when piped, so refs and dates are never wrapped in the middle.
_out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def web_config(context: AppContext) -> WebConfig:
    """The web layer's values, from the settings."""
    from gateway.web.app import WebConfig

    s = context.settings
    spools = spool_paths(s)
    return WebConfig(
        secret=secret.load_or_create(s.paths.data),
        data=s.paths.data,
        inbox=s.paths.inbox,
        outbox=s.paths.outbox,
        providers=s.paths.providers,
        applications=s.applications_path,
        archive=spools.archive,
        public_url=s.web.public_url,
        trusted_proxies=tuple(s.web.trusted_proxies),
        session_max_age=s.web.session_max_age,
        lockout=LockoutPolicy(s.web.lockout_after_failures, s.web.lockout_seconds),
        second_factor_roles=tuple(s.web.require_second_factor),
        timezone=s.exchange.timezone,
        sftp_host=s.sftp.host,
        sftp_port=s.sftp.port,
        max_document_bytes=s.intake.max_document_bytes,
        max_form_bytes=s.web.max_form_bytes,
        max_field_bytes=s.web.max_field_bytes,
        portal_url=s.portal.public_url,
        password_link_hours=s.portal.password_link_hours,
        applications_per_hour=s.intake.applications_per_address_per_hour,
        uploads_per_hour=s.intake.uploads_per_address_per_hour,
    )


def build_app(context: AppContext) -> FastAPI:
    """The web application for these settings."""
    from gateway.intake.unattached import UnattachedMail
    from gateway.web.app import create_app

    s = context.settings
    mirror = AccountMirror(s.accounts_path, s.paths.inbox, s.paths.outbox)
    applications = build_applications(context)
    return create_app(
        web_config(context),
        sessions=context.sessions,
        engine=context.engine,
        mirror=mirror,
        applications=applications,
        mail=UnattachedMail(build_drop(context, applications)),
    )


def build_services(context: AppContext) -> list[Service]:
    """The ``web`` role of ``gateway serve``."""
    from gateway.web.service import WebService

    web = context.settings.web
    return [WebService(build_app(context), web.host, web.port, access_log=web.access_log)]


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
    role: Annotated[
        str, typer.Option(help="agent (review and decide) or admin (also accounts, keys, staff).")
    ] = "agent",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Creates a staff account, or resets the role and password of an existing one (ending its sessions)."""
    context = app_context(config)
    user = staff.add_staff(context.sessions, login, role, _password(password_stdin), actor="cli")
    _out.print(f"staff account {user.login} ({user.role}) saved")


@staff_app.command("list")
def staff_list(config: ConfigOption = None) -> None:
    """Lists staff accounts."""
    context = app_context(config)
    table = Table("login", "role", "enabled", "second factor", "last login")
    for user in staff.list_staff(context.sessions):
        table.add_row(
            user.login,
            user.role,
            "yes" if user.enabled else "no",
            user.totp_enrolled_at.isoformat() if user.totp_enrolled_at else "no",
            user.last_login_at.isoformat() if user.last_login_at else "",
        )
    _out.print(table)


@staff_app.command("disable")
def staff_disable(login: str, config: ConfigOption = None) -> None:
    """Disables a staff account and ends its sessions."""
    # Even the last admin: stopping a compromised account comes first (``staff add`` makes another).
    staff.set_staff_enabled(app_context(config).sessions, login, False, actor="cli", keep_an_admin=False)
    _out.print(f"staff account {login} disabled")


@staff_app.command("enable")
def staff_enable(login: str, config: ConfigOption = None) -> None:
    """Enables a disabled staff account again."""
    staff.set_staff_enabled(app_context(config).sessions, login, True, actor="cli")
    _out.print(f"staff account {login} enabled")


@staff_app.command("role")
def staff_role(
    login: str,
    role: Annotated[str, typer.Argument(help="agent or admin.")],
    config: ConfigOption = None,
) -> None:
    """Changes a member's role; their sessions end."""
    staff.set_role(app_context(config).sessions, login, role, actor="cli")
    _out.print(f"staff account {login} is now {role}")


@staff_app.command("reset-password")
def staff_reset_password(
    login: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Sets a new password for a member; their sessions end."""
    staff.reset_password(app_context(config).sessions, login, _password(password_stdin), actor="cli")
    _out.print(f"password of {login} reset")


@staff_app.command("reset-second-factor")
def staff_reset_second_factor(login: str, config: ConfigOption = None) -> None:
    """Removes a member's second factor and recovery codes (lost device); their sessions end."""
    staff.reset_second_factor(app_context(config).sessions, login, actor="cli")
    _out.print(f"second factor of {login} removed; they set up a new one at their next login if their role needs it")


@staff_app.command("sessions")
def staff_sessions(
    login: Annotated[str | None, typer.Argument(help="Only this member's sessions.")] = None,
    config: ConfigOption = None,
) -> None:
    """Lists active staff sessions."""
    table = Table("login", "ref", "opened", "last seen", "address", "browser")
    table.columns[1].no_wrap = True  # the ref is what end-session takes: it must stay copyable
    for info in list_sessions(app_context(config).sessions, login=login, now=utcnow()):
        table.add_row(
            info.login,
            info.ref,
            info.created_at.isoformat(),
            info.last_seen_at.isoformat(),
            info.address,
            info.user_agent[:60] + (" (pending)" if info.pending else ""),
        )
    _out.print(table)


@staff_app.command("end-session")
def staff_end_session(
    ref: Annotated[str, typer.Argument(help="The session's ref, from gateway staff sessions.")],
    config: ConfigOption = None,
) -> None:
    """Ends one staff session at once."""
    revoke(app_context(config).sessions, ref, actor="cli", address="")
    _out.print("session ended")


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
        table.add_row(
            key.name,
            key.scope,
            key.prefix,
            key.created_at.isoformat(),
            key.revoked_at.isoformat() if key.revoked_at else "",
        )
    _out.print(table)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(staff_app, name="staff")
    app.add_typer(apikey_app, name="apikey")

"""The ``portal`` role (the provider portal on its own listener) and ``gateway portal ...``.

This module maps the settings onto :class:`gateway.portal.app.PortalConfig`; below it the
portal sees only plain values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.service import Service

if TYPE_CHECKING:  # imported where used, to keep the CLI light
    from fastapi import FastAPI

    from gateway.portal.app import PortalConfig
    from gateway.portal.settings import ProviderSettings

portal_app = typer.Typer(
    help="The provider portal: contact addresses, password links, second factors.", no_args_is_help=True
)


def portal_config(context: AppContext) -> PortalConfig:
    """The portal's values, from the settings."""
    from gateway.cli.exchange import spool_paths
    from gateway.portal.app import PortalConfig
    from gateway.web import secret
    from gateway.web.lockout import LockoutPolicy

    s = context.settings
    return PortalConfig(
        secret=secret.load_or_create(s.paths.data),
        inbox=s.paths.inbox,
        outbox=s.paths.outbox,
        archive=spool_paths(s).archive,
        data=s.paths.data,
        public_url=s.portal.public_url,
        trusted_proxies=tuple(s.web.trusted_proxies),
        session_max_age=s.portal.session_max_age,
        lockout=LockoutPolicy(s.web.lockout_after_failures, s.web.lockout_seconds),
        timezone=s.exchange.timezone,
        max_file_bytes=s.exchange.max_file_bytes,
        max_form_bytes=s.web.max_form_bytes,
        max_field_bytes=s.web.max_field_bytes,
        sftp_host=s.sftp.host,
        sftp_port=s.sftp.port,
        host_key_path=s.host_key_path,
        password_link_hours=s.portal.password_link_hours,
    )


def provider_settings(context: AppContext) -> ProviderSettings:
    """Provider account changes in the portal's way (audited, told by e-mail)."""
    from gateway.accounts.mirror import AccountMirror
    from gateway.accounts.service import Accounts
    from gateway.cli.applications import build_mailer
    from gateway.clock import utcnow
    from gateway.intake.notify import Notifier
    from gateway.portal.settings import ProviderSettings

    s = context.settings
    mirror = AccountMirror(s.accounts_path, s.paths.inbox, s.paths.outbox)
    return ProviderSettings(
        context.sessions,
        lambda actor: Accounts(context.sessions, mirror, actor=actor),
        Notifier(build_mailer(s), s.mail.sender),
        clock=utcnow,
    )


def build_app(context: AppContext) -> FastAPI:
    """The portal application for these settings."""
    from gateway.portal.app import create_portal_app
    from gateway.portal.send import BrowserReception
    from gateway.sftp.quota import QuotaValues

    s = context.settings
    config = portal_config(context)
    reception = BrowserReception(
        context.sessions,
        inbox=s.paths.inbox,
        outbox=s.paths.outbox,
        max_bytes=s.exchange.max_file_bytes,
        quota=QuotaValues(
            max_bytes=s.sftp.max_inbox_bytes_per_provider,
            max_files=s.sftp.max_inbox_files_per_provider,
            min_free_bytes=s.sftp.min_free_bytes,
        ),
        durable=s.sftp.durable,
    )
    return create_portal_app(
        config, sessions=context.sessions, reception=reception, settings=provider_settings(context)
    )


def build_services(context: AppContext) -> list[Service]:
    """The ``portal`` role of ``gateway serve``."""
    from gateway.cli.applications import build_mailer
    from gateway.clock import utcnow
    from gateway.intake.notify import Notifier
    from gateway.portal.notices import Notices
    from gateway.web.service import WebService

    s = context.settings
    notices = Notices(
        context.sessions,
        Notifier(build_mailer(s), s.mail.sender),
        portal_url=s.portal.public_url,
        timezone=s.exchange.timezone,
        clock=utcnow,
        interval=s.portal.notify_interval,
    )
    return [
        WebService(build_app(context), s.portal.host, s.portal.port, access_log=s.web.access_log, name="portal"),
        notices,
    ]


@portal_app.command("contact")
def contact(
    code: str,
    email: Annotated[str, typer.Argument(help='Where notifications go; "" for none.')],
    config: ConfigOption = None,
) -> None:
    """Sets the contact address of a provider account (notifications, warnings of changes)."""
    provider_settings(app_context(config)).set_contact(code, email, actor="cli")
    typer.echo(f"contact address of {code} set")


@portal_app.command("password-link")
def password_link(code: str, config: ConfigOption = None) -> None:
    """Prints a one-time link setting the account's password (key-only accounts); mailed to the contact too."""
    context = app_context(config)
    s = context.settings
    link, mailed = provider_settings(context).send_password_link(
        code, actor="cli", hours=s.portal.password_link_hours, portal_url=s.portal.public_url
    )
    print(link, flush=True)
    typer.echo("mailed to the contact address" if mailed else "no contact address: give the link yourself", err=True)


@portal_app.command("reset-second-factor")
def reset_second_factor(code: str, config: ConfigOption = None) -> None:
    """Removes a provider's portal second factor (lost phone); they enrol again at their next login."""
    provider_settings(app_context(config)).reset_second_factor(code, actor="cli")
    typer.echo(f"second factor of {code} removed")


def register(app: typer.Typer) -> None:
    """Adds ``gateway portal ...`` to the root app."""
    app.add_typer(portal_app, name="portal")

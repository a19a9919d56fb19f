"""The ``portal`` role (the provider portal on its own listener) and ``gateway portal ...``.

This module maps the settings onto :class:`gateway.portal.app.PortalConfig`; below it the
portal sees only plain values.
"""

from __future__ import annotations

from gateway.cli.context import AppContext
from gateway.service import Service


def host_key_fingerprint(context: AppContext) -> str:
    """The SFTP host key's fingerprint when its file is on this machine, else "" (never creates one:
    on a machine of its own the portal shows what ``gateway sftp fingerprint`` printed there)."""
    import paramiko

    from gateway.sftp.hostkey import fingerprint

    path = context.settings.host_key_path
    if not path.is_file():
        return ""
    try:
        return fingerprint(paramiko.Ed25519Key.from_private_key_file(str(path)))
    except (OSError, paramiko.SSHException):
        return ""


def portal_config(context: AppContext):  # noqa: ANN201 - PortalConfig, imported late to keep the CLI light
    """The portal's values, from the settings."""
    from gateway.cli.exchange import spool_paths
    from gateway.portal.app import PortalConfig
    from gateway.web import secret
    from gateway.web.lockout import LockoutPolicy

    s = context.settings
    return PortalConfig(
        secret=secret.load_or_create(s.paths.data), inbox=s.paths.inbox, outbox=s.paths.outbox,
        archive=spool_paths(s).archive, data=s.paths.data, public_url=s.portal.public_url,
        trusted_proxies=tuple(s.web.trusted_proxies), session_max_age=s.portal.session_max_age,
        lockout=LockoutPolicy(s.web.lockout_after_failures, s.web.lockout_seconds), timezone=s.exchange.timezone,
        max_file_bytes=s.exchange.max_file_bytes, max_form_bytes=s.web.max_form_bytes,
        max_field_bytes=s.web.max_field_bytes, sftp_host=s.sftp.host, sftp_port=s.sftp.port,
        host_key_fingerprint=host_key_fingerprint(context),
    )


def build_app(context: AppContext):  # noqa: ANN201 - FastAPI
    """The portal application for these settings."""
    from gateway.portal.app import create_portal_app
    from gateway.portal.send import BrowserReception
    from gateway.sftp.quota import QuotaValues

    s = context.settings
    config = portal_config(context)
    reception = BrowserReception(
        context.sessions, inbox=s.paths.inbox, outbox=s.paths.outbox, max_bytes=s.exchange.max_file_bytes,
        quota=QuotaValues(max_bytes=s.sftp.max_inbox_bytes_per_provider,
                          max_files=s.sftp.max_inbox_files_per_provider, min_free_bytes=s.sftp.min_free_bytes),
        durable=s.sftp.durable)
    return create_portal_app(config, sessions=context.sessions, reception=reception)


def build_services(context: AppContext) -> list[Service]:
    """The ``portal`` role of ``gateway serve``."""
    from gateway.web.service import WebService

    portal = context.settings.portal
    return [WebService(build_app(context), portal.host, portal.port, access_log=context.settings.web.access_log,
                       name="portal")]

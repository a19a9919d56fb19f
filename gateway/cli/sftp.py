"""Commands of the sftp area (``gateway sftp fingerprint``) and the ``sftp`` role of serve.

This module maps the settings onto :class:`gateway.sftp.server.ServerConfig`; below it the
SFTP layer sees only plain values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.service import Service

if TYPE_CHECKING:  # imported where used, to keep the CLI light
    from gateway.sftp.server import ServerConfig

sftp_app = typer.Typer(help="The SFTP server providers connect to.", no_args_is_help=True)


def server_config(context: AppContext) -> ServerConfig:
    """The SFTP server's values, from the settings."""
    from gateway.cli.exchange import spool_paths
    from gateway.sftp.limits import LimitValues
    from gateway.sftp.quota import QuotaValues
    from gateway.sftp.server import ServerConfig

    s = context.settings
    sftp = s.sftp
    spool = spool_paths(s)
    return ServerConfig(
        host=sftp.host,
        port=sftp.port,
        host_key_path=s.host_key_path,
        inbox_root=s.paths.inbox,
        outbox_root=s.paths.outbox,
        archive_root=spool.archive,
        aside_root=spool.aside,
        database_url=s.database_url,
        busy_timeout_ms=s.database.busy_timeout_ms,
        durable=sftp.durable,
        max_file_bytes=s.exchange.max_file_bytes,
        part_max_age=float(s.exchange.part_max_age),
        max_auth_attempts=sftp.max_auth_attempts,
        auth_timeout=sftp.auth_timeout,
        idle_timeout=sftp.idle_timeout,
        limits=LimitValues(
            connections_per_address_per_second=sftp.max_connections_per_address_per_second,
            sessions_per_account=sftp.max_sessions_per_account,
            sessions_total=sftp.max_sessions_total,
            ban_after_failures=sftp.ban_after_failures,
            ban_window=sftp.ban_window,
            ban_seconds=sftp.ban_seconds,
            account_throttle_after=sftp.account_throttle_after,
            account_throttle_max_delay=sftp.account_throttle_max_delay,
        ),
        quota=QuotaValues(
            max_bytes=sftp.max_inbox_bytes_per_provider,
            max_files=sftp.max_inbox_files_per_provider,
            min_free_bytes=sftp.min_free_bytes,
        ),
        processes=sftp.processes,
        log_level=s.log.level,
        log_format=s.log.format,
        max_handles_per_session=sftp.max_handles_per_session,
        max_channels_per_connection=sftp.max_channels_per_connection,
        max_buffered_bytes_per_connection=sftp.max_buffered_bytes_per_connection,
        max_unauthenticated_connections=sftp.max_unauthenticated_connections,
        max_unauthenticated_per_address=sftp.max_unauthenticated_per_address,
        max_refusals_recorded_per_session=sftp.max_refusals_recorded_per_session,
    )


def build_services(context: AppContext) -> list[Service]:
    """The ``sftp`` role of ``gateway serve`` (also writes ``<data>/demo/known_hosts``)."""
    from gateway.sftp.service import SftpService

    known_hosts = context.settings.paths.data / "demo" / "known_hosts"
    return [SftpService(server_config(context), known_hosts=known_hosts)]


@sftp_app.command("fingerprint")
def fingerprint_command(config: ConfigOption = None) -> None:
    """Prints the host key's SHA256 fingerprint (the key is generated if it does not exist yet)."""
    from gateway.sftp.hostkey import fingerprint, load_or_create_host_key

    context = app_context(config, current_schema=False)
    key = load_or_create_host_key(context.settings.host_key_path)
    typer.echo(f"{fingerprint(key)} ({key.get_name()}) {context.settings.host_key_path}")


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(sftp_app, name="sftp")

"""Commands and services of the exchange runtime: void, workers, watcher.

(``gateway forwarded ...`` and the publisher role are in gateway/cli/forwarded.py.)

- ``gateway exchange void FILE_NAME --provider CODE --reason TEXT``: spec/exchange.md section 9.

The helpers :func:`spool_paths`, :func:`act_key` and :func:`database_history` turn settings
into the plain values the exchange modules take; other commands (``validate``, ``purge``, the
web role) use them too.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.config import Settings
from gateway.exchange.runtime.history import DatabaseHistory, load_act_key
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.exchange.runtime.void import void_file
from gateway.service import Service

exchange_app = typer.Typer(help="Request files: correcting and keeping.", no_args_is_help=True)


# ----------------------------------------------------------------------- settings -> values


def spool_paths(settings: Settings) -> SpoolPaths:
    """Inbox, outbox, archive and aside folders from the settings."""
    archive = (
        settings.exchange.archive
        if str(settings.exchange.archive) not in ("", ".")
        else (settings.paths.data / "archive")
    )
    return SpoolPaths(
        inbox=settings.paths.inbox, outbox=settings.paths.outbox, archive=archive, aside=settings.paths.data / "aside"
    )


def act_key(settings: Settings) -> bytes:
    """The secret of the keyed act hashes (exchange.forwarding_key, else generated once)."""
    return load_act_key(settings.paths.data, settings.exchange.forwarding_key)


def database_history(context: AppContext, *, before_id: int | None = None) -> DatabaseHistory:
    """The database history as ``gateway validate --provider`` and the workers see it."""
    return DatabaseHistory(context.sessions, act_key=act_key(context.settings), before_id=before_id)


# ----------------------------------------------------------------------- services


def build_workers(context: AppContext) -> list[Service]:
    """``--role worker``: worker threads (recovery runs when they start)."""
    from gateway.exchange.checks.pipeline import Checker
    from gateway.exchange.runtime.processing import Processor
    from gateway.exchange.runtime.worker import WorkerService
    from gateway.store.db import read_sessions

    s = context.settings
    spool = spool_paths(s)
    checker = Checker(s.paths.schemas, timezone=s.exchange.timezone, max_file_bytes=s.exchange.max_file_bytes)
    processor = Processor(
        context.sessions,
        checker,
        spool=spool,
        timezone=s.exchange.timezone,
        act_key=act_key(s),
        durable=s.sftp.durable,
        max_attempts=s.exchange.max_attempts,
        outbox=bool(s.forwarding.amqp_url.strip()),
        readers=read_sessions(s.database_url, s.database.busy_timeout_ms),
    )
    return [
        WorkerService(
            context.sessions,
            processor,
            spool,
            workers=s.exchange.workers,
            poll_interval=s.exchange.poll_interval,
            lease_s=s.exchange.claim_lease,
            rescan_interval=s.exchange.rescan_interval,
            quiet_period=s.exchange.watch_quiet_period,
            watch_inbox=True,
        )
    ]


def build_watcher(context: AppContext) -> list[Service]:
    """``--role watcher``: the inbox watcher for files arriving by other means."""
    from gateway.exchange.runtime.watcher import WatcherService

    s = context.settings
    return [
        WatcherService(
            context.sessions,
            spool_paths(s),
            quiet_period=s.exchange.watch_quiet_period,
            rescan_interval=s.exchange.rescan_interval,
        )
    ]


# ----------------------------------------------------------------------- commands


@exchange_app.command("void")
def void(
    file_name: str,
    provider: Annotated[str, typer.Option(help="The provider code the file was received from.")],
    reason: Annotated[str, typer.Option(help="Why the file is voided (kept in the audit trail).")],
    config: ConfigOption = None,
) -> None:
    """Voids a received file: it counts for nothing afterwards and its records are withdrawn."""
    context = app_context(config, actor="cli")
    result = void_file(context.sessions, provider_code=provider, file_name=file_name, reason=reason, actor=_operator())
    typer.echo(
        f"voided {result.file_name} (file {result.file_id}, provider {result.provider_code}, "
        f"status {result.status}); {result.withdrawn} forwarded record(s) withdrawn"
    )


def _operator() -> str:
    """The audit actor of a command run by an operator: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "cli"


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(exchange_app, name="exchange")

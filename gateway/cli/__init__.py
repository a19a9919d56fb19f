"""The ``gateway`` command: one Typer app; each area adds its commands in its own module.

Exit status (spec/operations.md): 0 success, 1 the command ran and found problems, 2 usage
or configuration errors.

Every command starts with umask 077 (:data:`gateway.cli.context.UMASK`): what the gateway
writes is personal data, and a file some library creates without giving a mode must not end
up readable by other users of the machine.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from gateway.cli import accounts as accounts_cli
from gateway.cli import applications as applications_cli
from gateway.cli import client as client_cli
from gateway.cli import core as core_cli
from gateway.cli import exchange as exchange_cli
from gateway.cli import forwarded as forwarded_cli
from gateway.cli import intake as intake_cli
from gateway.cli import purge as purge_cli
from gateway.cli import serve as serve_cli
from gateway.cli import sftp as sftp_cli
from gateway.cli import validate as validate_cli
from gateway.cli import portal as portal_cli
from gateway.cli import web as web_cli
from gateway.cli.context import UMASK, ConfigOption
from gateway.errors import ConfigError, GatewayError

app = typer.Typer(
    name="gateway",
    help="Health fund provider data-exchange gateway.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Options here apply to every command; each command also takes --config."""
    ctx.obj = {"config": config}


for module in (core_cli, accounts_cli, serve_cli, sftp_cli, validate_cli, exchange_cli, forwarded_cli, intake_cli,
               applications_cli, purge_cli, web_cli, portal_cli, client_cli):
    module.register(app)

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point of the console script; turns our errors into messages and exit codes."""
    os.umask(UMASK)
    try:
        app()
    except ConfigError as exc:
        _err.print(f"[bold red]configuration error[/] ({exc.code}): {exc.message}", markup=True)
        for problem in exc.problems:
            _err.print(f"  - {problem}", markup=False)
        sys.exit(exc.exit_status)
    except GatewayError as exc:
        _err.print(f"error {exc.code}: {exc.message}", markup=False)
        sys.exit(exc.exit_status)

"""The ``gateway`` command: one Typer app; each area adds its commands in its own module.

Exit status (spec/operations.md): 0 success, 1 the command ran and found problems, 2 usage
or configuration errors.

Every command starts with umask 077 (:data:`gateway.cli.context.UMASK`): what the gateway
writes is personal data, and a file some library creates without giving a mode must not end
up readable by other users of the machine.

A command imports only what it runs: :data:`COMMANDS` names, for each top-level command, the
modules that register it and its one-line help, and the root group (:class:`LazyRoot`) imports
those modules only when that command is invoked. ``gateway --help`` imports none of them
(the database, web and SSH libraries take over a second to import). A test checks that the
table's help lines are the commands' own.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer import _click  # typer's own copy of click: the classes its groups and contexts are
from typer.core import TyperGroup

from gateway.cli.context import UMASK, ConfigOption

#: top-level command -> (modules whose ``register(app)`` adds it, its help line), in help order
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "check-config": (
        ("core",),
        "Validates the configuration: unknown keys, wrong types, folders, URLs (exit 2 on error).",
    ),
    "serve": (("serve",), "Runs the gateway until SIGINT/SIGTERM, then finishes in-flight work and exits."),
    "validate": (
        ("validate",),
        "Checks request files offline with the server's stages (exit 1 unless every file is ACCEPTE).",
    ),
    "purge": (
        ("purge",),
        "Deletes request files, responses and dossiers past retention, keeping what later checks need.",
    ),
    "db": (("core",), "Database schema."),
    "providers": (("accounts",), "Provider accounts (SFTP users)."),
    "sftp": (("sftp",), "The SFTP server providers connect to."),
    "exchange": (("exchange",), "Request files: correcting and keeping."),
    "forwarded": (("forwarded",), "Accepted records handed on to the back office."),
    # applications adds its commands to the intake group
    "intake": (("intake", "applications"), "Provider-code applications and their documents."),
    "codes": (("applications",), "OCB provider codes allocated before the gateway (import)."),
    "staff": (("web",), "Staff accounts of the web interface."),
    "apikey": (("web",), "API keys of machine clients (REST API)."),
    "portal": (("portal",), "The provider portal: contact addresses, password links, second factors."),
    "client": (("client",), "Provider-side client: make request files, push them, pull and import responses."),
}


def load_command(name: str) -> _click.Command | None:
    """The click command ``name`` of the root, its modules imported now (None if unknown)."""
    if name not in COMMANDS:
        return None
    modules, _help = COMMANDS[name]
    holder = typer.Typer(rich_markup_mode=None)
    for module in modules:
        importlib.import_module(f"gateway.cli.{module}").register(holder)
    return typer.main.get_group(holder).commands.get(name)


class LazyRoot(TyperGroup):
    """The root group: lists :data:`COMMANDS`, imports a command's modules only to run it."""

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        return load_command(cmd_name)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        # the help lines from the table: listing the commands must not import them
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_modules, help_) in COMMANDS.items()])


app = typer.Typer(
    name="gateway",
    help="Health fund provider data-exchange gateway.",
    cls=LazyRoot,
    # plain click help: rich's help rendering alone takes half a second to import
    rich_markup_mode=None,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Options here apply to every command; each command also takes --config."""
    ctx.obj = {"config": config}


def main() -> None:
    """Entry point of the console script; turns our errors into messages and exit codes."""
    from gateway.errors import ConfigError, GatewayError

    os.umask(UMASK)
    try:
        app()
    except ConfigError as exc:
        from rich.console import Console

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"[bold red]configuration error[/] ({exc.code}): {exc.message}", markup=True)
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False)
        sys.exit(exc.exit_status)
    except GatewayError as exc:
        print(f"error {exc.code}: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_status)

"""Configuration and database commands: ``check-config``, ``db upgrade``, ``db status``."""

from __future__ import annotations

import typer
from rich.console import Console

from gateway.cli.context import ConfigOption, app_context
from gateway.cli.serve import ROLES
from gateway.config import describe
from gateway.config_check import check_modes, check_settings
from gateway.errors import ConfigError
from gateway.store import schema

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def check_config(config: ConfigOption = None) -> None:
    """Validates the configuration: unknown keys, wrong types, folders, URLs (exit 2 on error).

    Also warns (exit 0) about files and folders of personal data that other users can read."""
    context = app_context(config, current_schema=False)
    problems = check_settings(context.settings, roles=ROLES)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the configuration", code="CFG-004", problems=problems)
    for warning in check_modes(context.settings):  # warnings: the configuration itself is usable
        err.print(f"warning: {warning}", markup=False)
    source = context.settings.source or "built-in defaults"
    out.print(f"configuration OK ({source}): {len(describe())} settings", markup=False)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Creates the database or migrates it to this version's schema."""
    context = app_context(config, current_schema=False)
    before, after = schema.upgrade(context.engine)
    if before == after:
        out.print(f"database already current ({', '.join(sorted(after))})", markup=False)
    else:
        out.print(f"database upgraded to {', '.join(sorted(after))}", markup=False)


@db_app.command("status")
def db_status(config: ConfigOption = None) -> None:
    """Shows the schema revisions applied and expected (exit 1 when not current)."""
    context = app_context(config, current_schema=False)
    current, expected = schema.current_heads(context.engine), schema.expected_heads()
    out.print(f"applied:  {', '.join(sorted(current)) or '(none)'}", markup=False)
    out.print(f"expected: {', '.join(sorted(expected))}", markup=False)
    if current != expected:
        out.print("run: gateway db upgrade", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds these commands to the root app."""
    app.command("check-config")(check_config)
    app.add_typer(db_app, name="db")

"""``gateway providers ...``: provider accounts and their keys (spec/operations.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway import textsafe
from gateway.accounts.service import PROFESSIONS, AccountView
from gateway.cli.context import ConfigOption, app_context
from gateway.errors import UsageError
from gateway.exchange.conventions import listing

providers_app = typer.Typer(help="Provider accounts (SFTP users).", no_args_is_help=True)
key_app = typer.Typer(help="SSH public keys of an account.", no_args_is_help=True)
password_app = typer.Typer(help="Password of an account.", no_args_is_help=True)
providers_app.add_typer(key_app, name="key")
providers_app.add_typer(password_app, name="password")
out = Console(highlight=False, soft_wrap=True)


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise UsageError("--password-stdin: no password on standard input")
    return password


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read public key file {path}: {exc}") from None


def _print_account(account: AccountView) -> None:
    out.print(f"{account.code}  {account.profession}  {account.name}", markup=False)
    out.print(f"  enabled:  {'yes' if account.enabled else 'no'}", markup=False)
    out.print(f"  password: {'set' if account.has_password else 'none'}", markup=False)
    if account.allowed_networks:
        out.print(f"  networks: {', '.join(account.allowed_networks)}", markup=False)
    for key in account.keys:
        out.print(f"  key:      {key.fingerprint} {key.algorithm} {key.bits} {key.comment}".rstrip(), markup=False)


@providers_app.command("add")
def add(
    code: str,
    profession: Annotated[str, typer.Option(help=f"{listing(PROFESSIONS)}.")],
    name: Annotated[str, typer.Option(help="The provider's name.")],
    key: Annotated[list[Path] | None, typer.Option("--key", help="Public key file (repeatable).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password from standard input.")
    ] = False,
    network: Annotated[list[str] | None, typer.Option("--network", help="Allowed source network (repeatable).")] = None,
    config: ConfigOption = None,
) -> None:
    """Creates a provider account (code checked against its profession)."""
    context = app_context(config)
    password = _read_password_stdin() if password_stdin else None
    account = context.accounts.add(
        code,
        profession=profession.upper(),
        name=name,
        keys=[_read_key_file(k) for k in key or []],
        password=password,
        allowed_networks=network or [],
    )
    _print_account(account)


@providers_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False, config: ConfigOption = None
) -> None:
    """Lists every account."""
    accounts = app_context(config).accounts.list()
    if as_json:
        print(textsafe.dumps([a.as_dict() for a in accounts], indent=2))
        return
    table = Table("code", "profession", "name", "enabled", "password", "keys")
    for a in accounts:
        table.add_row(
            a.code,
            a.profession,
            a.name,
            "yes" if a.enabled else "no",
            "set" if a.has_password else "none",
            str(len(a.keys)),
        )
    out.print(table)


@providers_app.command("show")
def show(code: str, as_json: Annotated[bool, typer.Option("--json")] = False, config: ConfigOption = None) -> None:
    """Shows one account."""
    account = app_context(config).accounts.get(code)
    if as_json:
        print(textsafe.dumps(account.as_dict(), indent=2))
    else:
        _print_account(account)


@providers_app.command("disable")
def disable(code: str, config: ConfigOption = None) -> None:
    """Stops an account from logging in (its files and history stay)."""
    _print_account(app_context(config).accounts.set_enabled(code, False))


@providers_app.command("enable")
def enable(code: str, config: ConfigOption = None) -> None:
    """Lets a disabled account log in again."""
    _print_account(app_context(config).accounts.set_enabled(code, True))


@providers_app.command("networks")
def networks(
    code: str,
    network: Annotated[list[str] | None, typer.Argument(help="Networks; none to allow any.")] = None,
    config: ConfigOption = None,
) -> None:
    """Sets the source networks an account may connect from."""
    _print_account(app_context(config).accounts.set_allowed_networks(code, network or []))


@key_app.command("add")
def key_add(code: str, pubkey_file: Path, config: ConfigOption = None) -> None:
    """Adds a public key (ed25519, ECDSA or RSA >= 3072 bits)."""
    _print_account(app_context(config).accounts.add_key(code, _read_key_file(pubkey_file)))


@key_app.command("remove")
def key_remove(code: str, fingerprint: str, config: ConfigOption = None) -> None:
    """Removes the key with this SHA256 fingerprint."""
    _print_account(app_context(config).accounts.remove_key(code, fingerprint))


@password_app.command("set")
def password_set(code: str, config: ConfigOption = None) -> None:
    """Sets the password, read from standard input (one line)."""
    _print_account(app_context(config).accounts.set_password(code, _read_password_stdin()))


@password_app.command("remove")
def password_remove(code: str, config: ConfigOption = None) -> None:
    """Removes the password (the account then logs in by key only)."""
    _print_account(app_context(config).accounts.set_password(code, None))


def register(app: typer.Typer) -> None:
    """Adds ``providers`` to the root app."""
    app.add_typer(providers_app, name="providers")

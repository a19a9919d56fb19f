"""``gateway client ...``: the provider-side tool (make-request, push, pull, import, status, trust).

Settings come from the ``[client]`` section (and ``exchange.timezone``, ``exchange.max_file_bytes``,
``paths.schemas`` for the checks, by default the schemas installed with the gateway); options
override them. The client keeps its files beside
its known-hosts file: ``client.db`` (local database), ``outgoing/`` (files made) and
``responses/`` (files pulled), unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn
from rich.table import Table

from gateway import textsafe
from gateway.cli.context import ConfigOption, app_context
from gateway.client.connection import Endpoint, Retrying, fetch_host_key, open_connection
from gateway.client.csvlayout import Convention
from gateway.client.errors import CsvError, RequestRefused
from gateway.client.importer import ImportResult, import_responses
from gateway.client.knownhosts import KnownHosts, fingerprint, host_id
from gateway.client.ledger import record_pushed, unpushed_files
from gateway.client.make import LocatedFinding, MakeOptions, make_request
from gateway.client.pull import Pulled, Puller, PullResult, ResponseSchema, watch
from gateway.client.push import Pushed, push_files
from gateway.client.schemas import installed_schemas, is_schemas_folder
from gateway.client.status import STATES, summarise
from gateway.client.store import open_store
from gateway.clock import utcnow
from gateway.config import Settings
from gateway.errors import UsageError
from gateway.exchange.checks.model import Mode
from gateway.exchange.conventions import listing

client_app = typer.Typer(
    help="Provider-side client: make request files, push them, pull and import responses.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Local database URL (default: client.database, else SQLite client.db beside the known-hosts file)."
    ),
]
HostOption = Annotated[str | None, typer.Option("--host", help="Gateway SFTP host (default: client.host).")]
PortOption = Annotated[int | None, typer.Option("--port", help="Gateway SFTP port (default: client.port).")]
UserOption = Annotated[str | None, typer.Option("--user", help="Provider code to log in as (default: client.user).")]
KeyOption = Annotated[
    Path | None, typer.Option("--key-file", help="Private key (default: client.key_file).", dir_okay=False)
]
AcceptNewOption = Annotated[
    bool,
    typer.Option(
        "--accept-new", help="Record the server's host key if none is recorded yet (a different key is still refused)."
    ),
]


@dataclass(frozen=True)
class ClientPlaces:
    """Where the client keeps its things, from the settings."""

    settings: Settings

    @property
    def folder(self) -> Path:
        return self.settings.client.known_hosts.parent

    def database(self, option: str | None) -> str:
        return option or self.settings.client.database or f"sqlite:///{self.folder / 'client.db'}"

    @property
    def outgoing(self) -> Path:
        return self.folder / "outgoing"

    @property
    def responses(self) -> Path:
        return self.folder / "responses"


def _schemas(settings: Settings) -> Path:
    """``paths.schemas`` when it holds the schemas, else the ones installed with the gateway:
    a provider's machine has no ``schemas`` folder of its own."""
    return settings.paths.schemas if is_schemas_folder(settings.paths.schemas) else installed_schemas()


def _places(config: Path | None) -> ClientPlaces:
    return ClientPlaces(app_context(config, actor="client", current_schema=False).settings)


def _endpoint(
    settings: Settings, host: str | None, port: int | None, user: str | None, key_file: Path | None, accept_new: bool
) -> Endpoint:
    c = settings.client
    user = user or c.user
    if not user:
        raise UsageError("no provider code to log in as: set client.user or pass --user")
    key = key_file or (c.key_file if c.key_file != Path("") else None)
    return Endpoint(
        host=host or c.host,
        port=port or c.port,
        user=user,
        known_hosts=c.known_hosts,
        key_file=key,
        password=os.environ.get(c.password_env) or None,
        accept_new=accept_new,
    )


def _retrying(endpoint: Endpoint, settings: Settings) -> Retrying:
    def on_retry(attempt: int, exc: BaseException, delay: float) -> None:
        err.print(
            f"network failure ({exc}); attempt {attempt + 1} of {settings.client.retries} in {delay:.1f} s",
            markup=False,
        )

    return Retrying(lambda: open_connection(endpoint), attempts=settings.client.retries, on_retry=on_retry)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=False,
    )


@contextmanager
def _details() -> Iterator[None]:
    """Prints what a client error carries beyond its message; the root command prints the message."""
    try:
        yield
    except CsvError as exc:
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        raise
    except RequestRefused as exc:
        for located in exc.findings:
            err.print(f"  {_finding_line(located)}", markup=False)
        raise


def _finding_line(located: LocatedFinding) -> str:
    f = located.finding
    where = f"CSV line {located.csv_line}" if located.csv_line else "header"
    value = f" = {f.value}" if f.value is not None else ""
    path = f" {f.path}{value}" if f.path else value
    return f"{f.severity} {f.code} {where}{path}: {f.message_en}"


@client_app.command("make-request")
def make_request_command(
    convention: Annotated[Convention, typer.Option("--convention", help=f"{listing()}.", case_sensitive=False)],
    csv: Annotated[Path, typer.Option("--csv", help="The CSV, one line per act (docs/client.md).", dir_okay=False)],
    provider: Annotated[
        str | None, typer.Option("--provider", help="Billing provider code (default: client.user).")
    ] = None,
    test: Annotated[
        bool, typer.Option("--test", help="Make a TEST file (checked, never paid, no number used).")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for the file (default: outgoing/ beside the known-hosts file).", file_okay=False
        ),
    ] = None,
    period_start: Annotated[
        dt.datetime | None,
        typer.Option("--period-start", formats=["%Y-%m-%d"], help="Periode/@debut (default: from the acts)."),
    ] = None,
    period_end: Annotated[
        dt.datetime | None,
        typer.Option("--period-end", formats=["%Y-%m-%d"], help="Periode/@fin (default: from the acts)."),
    ] = None,
    sequence: Annotated[
        int | None,
        typer.Option("--sequence", min=1, max=999999, help="Use this NumeroSequence (default: the next one)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Makes a request file from a CSV, checked by the server's own stages before it is written."""
    places = _places(config)
    s = places.settings
    code = provider or s.client.user
    if not code:
        raise UsageError("no provider code: pass --provider or set client.user")
    options = MakeOptions(
        convention=convention,
        provider_code=code,
        out_dir=out_dir or places.outgoing,
        schemas_dir=_schemas(s),
        timezone=s.exchange.timezone,
        max_file_bytes=s.exchange.max_file_bytes,
        mode=Mode.TEST if test else Mode.PRODUCTION,
        sequence=sequence,
        period_start=period_start.date() if period_start else None,
        period_end=period_end.date() if period_end else None,
    )
    engine, sessions = open_store(places.database(db))
    try:
        with _details():
            made = make_request(csv, options, sessions)
    finally:
        engine.dispose()
    for located in made.warnings:
        err.print(f"  {_finding_line(located)}", markup=False)
    out.print(f"{made.path}", markup=False)
    out.print(
        f"  {made.mode} file, sequence {made.sequence}, {made.records} record(s), total {made.amount}, "
        f"period {made.period[0]} to {made.period[1]}",
        markup=False,
    )


@client_app.command("push")
def push_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Request files, pushed in this order (default: every file made and not pushed yet).", dir_okay=False
        ),
    ] = None,
    host: HostOption = None,
    port: PortOption = None,
    user: UserOption = None,
    key_file: KeyOption = None,
    accept_new: AcceptNewOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Uploads request files under a .part name and renames them: the server never sees half a file."""
    places = _places(config)
    endpoint = _endpoint(places.settings, host, port, user, key_file, accept_new)
    engine, sessions = open_store(places.database(db))
    try:
        paths = list(files or unpushed_files(sessions))
        if not paths:
            out.print("nothing to push", markup=False)
            return
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise UsageError(f"no such file: {', '.join(missing)}")
        with _progress() as progress, _retrying(endpoint, places.settings) as retrying:
            tasks: dict[str, TaskID] = {}

            def show(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = progress.add_task(name, total=total)
                progress.update(tasks[name], completed=done, total=total)

            def pushed(path: Path, result: Pushed) -> None:
                record_pushed(sessions, path, utcnow())
                out.print(f"{result.name}: {result.result}", markup=False)

            push_files(paths, retrying, progress=show, on_pushed=pushed)
    finally:
        engine.dispose()


@client_app.command("pull")
def pull_command(
    into: Annotated[
        Path | None,
        typer.Option(
            "--into",
            help="Folder for the responses (default: responses/ beside the known-hosts file).",
            file_okay=False,
        ),
    ] = None,
    watch_: Annotated[bool, typer.Option("--watch", help="Keep pulling until interrupted.")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between pulls with --watch.")] = 30.0,
    host: HostOption = None,
    port: PortOption = None,
    user: UserOption = None,
    key_file: KeyOption = None,
    accept_new: AcceptNewOption = False,
    config: ConfigOption = None,
) -> None:
    """Downloads new responses, checks each against the response schema, then removes it on the server."""
    places = _places(config)
    endpoint = _endpoint(places.settings, host, port, user, key_file, accept_new)
    puller = Puller(into or places.responses, ResponseSchema(_schemas(places.settings)))
    invalid = False

    def report(pulled: list[Pulled]) -> None:
        nonlocal invalid
        for item in pulled:
            out.print(f"{item.name}: {item.result} ({item.path})", markup=False)
            for problem in item.problems[:5]:
                err.print(f"  {problem}", markup=False)
            invalid = invalid or item.result is PullResult.INVALID

    with _retrying(endpoint, places.settings) as retrying:
        if watch_:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            watch(puller, retrying, interval=interval, stop=stop, on_pulled=report)
        else:
            pulled = retrying.run(puller.run)
            report(pulled)
            if not pulled:
                out.print("no new responses", markup=False)
    if invalid:
        raise typer.Exit(1)


@client_app.command("import")
def import_command(
    db: DbOption = None,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Folder of responses (default: responses/ beside the known-hosts file).", file_okay=False
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Loads responses into the local database; importing twice changes nothing."""
    places = _places(config)
    folder = from_ or places.responses
    if not folder.is_dir():
        raise UsageError(f"no folder {folder}")
    schema = ResponseSchema(_schemas(places.settings))
    engine, sessions = open_store(places.database(db))
    try:
        results = import_responses(folder, sessions, schema)
    finally:
        engine.dispose()
    for item in results:
        if item.result is ImportResult.IMPORTED:
            out.print(f"{item.path.name}: {item.status} (answers {item.request_name})", markup=False)
        elif item.result is ImportResult.INVALID:
            err.print(f"{item.path.name}: not imported: {item.problem}", markup=False)
    known = sum(1 for item in results if item.result is ImportResult.KNOWN)
    imported = sum(1 for item in results if item.result is ImportResult.IMPORTED)
    out.print(f"{imported} imported, {known} already imported", markup=False)
    if any(item.result is ImportResult.INVALID for item in results):
        raise typer.Exit(1)


@client_app.command("status")
def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List accepted files too.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the responses' messages: fr or en.")] = "en",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Summarises the files made and pushed: pending, accepted, rejected, with what each
    response said (from the local database)."""
    if lang not in ("fr", "en"):
        raise UsageError("--lang: fr or en")
    places = _places(config)
    engine, sessions = open_store(places.database(db))
    try:
        summary = summarise(sessions, show_all=show_all)
    finally:
        engine.dispose()
    if as_json:
        print(textsafe.dumps(summary.as_dict(), indent=2))
        return
    # piped output has no terminal width: never cut a file name at 80 columns
    console = out if out.is_terminal else Console(highlight=False, soft_wrap=True, width=400)
    for state in STATES:
        console.print(f"{state:>22}: {summary.counts.get(state, 0)}", markup=False)
    if summary.files:
        table = Table()
        # a file name is read and copied whole: it never shrinks; other columns fold instead
        table.add_column("file", no_wrap=True, min_width=max(len(f.name) for f in summary.files))
        for column in ("state", "mode", "records", "amount", "rejected", "accepted amount", "errors"):
            table.add_column(column, overflow="fold")
        for f in summary.files:
            table.add_row(
                f.name,
                f.state,
                f.mode or "",
                str(f.records or ""),
                f.amount or "",
                "" if f.records_rejected is None else str(f.records_rejected),
                f.amount_accepted or "",
                str(f.errors or ""),
            )
        console.print(table)
    for f in summary.files:  # what each response said, in full
        if f.messages:
            console.print(f"{f.name} ({f.state}):", markup=False)
            for message in f.messages:
                console.print(f"  {message.text(lang)}", markup=False)


@client_app.command("trust")
def trust_command(
    expected: Annotated[
        str | None,
        typer.Option(
            "--fingerprint", help="Record the key only if it has this SHA256 fingerprint (as the fund publishes it)."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Record without asking.")] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace a different recorded key (after the fund confirmed a key change)."),
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
    config: ConfigOption = None,
) -> None:
    """Shows the gateway's host key fingerprint and records it in the known-hosts file, deliberately."""
    settings = _places(config).settings
    host, port = host or settings.client.host, port or settings.client.port
    name = host_id(host, port)
    key = fetch_host_key(host, port)
    print_ = fingerprint(key)
    known_hosts = KnownHosts(settings.client.known_hosts)
    out.print(f"{name} presents {key.get_name()} {print_}", markup=False)
    known = known_hosts.known(name)
    if any(k.asbytes() == key.asbytes() for k in known):
        out.print(f"already trusted in {known_hosts.path}", markup=False)
        return
    if known and not replace:
        for k in known:
            err.print(f"recorded: {k.get_name()} {fingerprint(k)}", markup=False)
        raise UsageError(
            f"{known_hosts.path} records another key for {name}: the server may be impersonated. "
            "Use --replace only after the fund has confirmed a key change",
            code="CLT-HOST-MISMATCH",
        )
    if expected is not None:
        if expected.strip() != print_:
            raise UsageError(f"the server's key is {print_}, not {expected}: not recorded", code="CLT-HOST-MISMATCH")
    elif not yes and not typer.confirm("Is this the fingerprint the fund published?", default=False):
        raise typer.Exit(1)
    known_hosts.record(name, key, replace=replace)
    out.print(f"recorded in {known_hosts.path}", markup=False)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(client_app, name="client")

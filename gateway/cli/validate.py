"""``gateway validate FILE... [--provider CODE] [--json] [--response]``: the checks offline.

The same stages as the server. Files given together are judged in order, each seeing the
ones before it as history; with ``--provider`` the stateful rules also see the configured
database (read-only: nothing is recorded). The uploader is ``--provider``, else the code in
the file name; the profession is the account's, else the one of the code's prefix.
Exit status: 0 when every file is ACCEPTE, 1 otherwise, 2 on usage or configuration errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway import textsafe
from gateway.cli.context import ConfigOption, app_context
from gateway.exchange.checks.memory import MemoryHistory
from gateway.exchange.checks.model import (
    EmptyHistory,
    FileStatus,
    Finding,
    History,
    Outcome,
    Received,
    RecordResult,
)
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.references import ReferenceError_
from gateway.exchange.checks.response import local_time, render_response
from gateway.identifiers import PROFESSION_PREFIX

_CODE_IN_NAME = re.compile(r"_([0-9]{8})_")
_PROFESSION_OF_PREFIX = {prefix: name for name, prefix in PROFESSION_PREFIX.items()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "line": finding.line,
        "column": finding.column,
        "path": finding.path,
        "value": finding.value,
        "message_fr": finding.message_fr,
        "message_en": finding.message_en,
    }


def outcome_dict(outcome: Outcome, timezone: str) -> dict[str, Any]:
    """The outcome as one JSON object (what ``--json`` prints per file)."""
    return {
        "file": outcome.received.name,
        "status": outcome.status.value,
        "provider": outcome.received.provider_code,
        "convention": outcome.convention,
        "mode": outcome.mode.value if outcome.mode else None,
        "id_fichier": outcome.id_fichier,
        "sequence": outcome.sequence,
        "received_at": local_time(outcome.received.received_at, timezone),
        "duplicate_of": outcome.duplicate_of.name if outcome.duplicate_of else None,
        "file_findings": [_finding_dict(f) for f in outcome.file_findings],
        "records": None
        if outcome.records is None
        else [
            {
                "id": r.id,
                "reference": r.reference,
                "status": r.status.value,
                "findings": [_finding_dict(f) for f in r.findings],
            }
            for r in outcome.records
        ],
    }


def _print_human(outcome: Outcome) -> None:
    # plain writes: rich takes longer to import than checking a small file
    print(f"{outcome.received.name}: {outcome.status.value}")
    if outcome.duplicate_of is not None:
        print(f"  identical to {outcome.duplicate_of.name}")
    findings: list[tuple[RecordResult | None, Finding]] = [(None, f) for f in outcome.file_findings]
    findings += [(r, f) for r in outcome.records or () for f in r.findings]
    for record, f in findings:
        where = ":".join(str(x) for x in (f.line, f.column) if x)
        owner = f" record {record.id}" if record is not None else ""
        print(f"  {f.code} {f.severity.value}{owner} line {where or '-'} {f.path or ''}: {f.message_en}")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal for several files (rich imported only then); yields ``advance``."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("checking", total=total)
        yield lambda: progress.advance(task)


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Request files, judged in this order.", exists=True, dir_okay=False, readable=True),
    ],
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="Uploader's provider code: its account and the database history are used."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    response: Annotated[bool, typer.Option("--response", help="Print each response XML to standard output.")] = False,
    config: ConfigOption = None,
) -> None:
    """Checks request files offline with the server's stages (exit 1 unless every file is ACCEPTE)."""
    context = app_context(config, current_schema=provider is not None)
    settings = context.settings
    base: History = EmptyHistory()
    profession = None
    if provider is not None:
        profession = context.accounts.get(provider).profession
        from gateway.cli.exchange import database_history

        base = database_history(context)
    history = MemoryHistory(base=base)
    timezone = settings.exchange.timezone
    try:
        checker = Checker(settings.paths.schemas, timezone=timezone, max_file_bytes=settings.exchange.max_file_bytes)
    except ReferenceError_ as exc:
        raise typer.BadParameter(str(exc), param_hint="paths.schemas") from None
    all_accepted = True
    with _progress(len(files)) as advance:
        for path in files:
            uploader = provider
            if uploader is None:
                match = _CODE_IN_NAME.search(path.name)
                uploader = match.group(1) if match else ""
            received = Received(
                name=path.name,
                provider_code=uploader,
                profession=profession or _PROFESSION_OF_PREFIX.get(uploader[:2], ""),
                received_at=dt.datetime.now(dt.UTC),
                size=path.stat().st_size,
                sha256=_sha256(path),
                path=path,
            )
            outcome = checker.check(received, history)
            history.remember(outcome)
            all_accepted &= outcome.status == FileStatus.ACCEPTE
            if response:
                sys.stdout.write(
                    render_response(outcome, processed_at=dt.datetime.now(dt.UTC), timezone=timezone).decode("utf-8")
                )
            elif as_json:
                sys.stdout.write(textsafe.dumps(outcome_dict(outcome, timezone)) + "\n")
            else:
                _print_human(outcome)
            advance()
    sys.stdout.flush()
    if not all_accepted:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds ``validate`` to the root app."""
    app.command("validate")(validate)

"""Commands of the intake area: the ``gateway intake`` group and ``intake check``.

Other intake commands (``intake submit``) join the same group by importing :data:`intake_app`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gateway import textsafe
from gateway.cli.context import ConfigOption, app_context
from gateway.errors import UsageError

intake_app = typer.Typer(name="intake", help="Provider-code applications and their documents.", no_args_is_help=True)


@intake_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Documents to check.", dir_okay=False)],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="The applicant's file name (one file only); its rules apply instead of the path's name."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file, one per line.")] = False,
    config: ConfigOption = None,
) -> None:
    """Document verdicts of spec/intake.md section 2; exit status 1 when a file is refused."""
    from gateway.cli.applications import build_isolation
    from gateway.intake.documents import ClamdScanner, check_file

    if name is not None and len(files) != 1:
        raise UsageError("--name applies to a single file", code="USE-INTAKE-NAME")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"not a readable file: {', '.join(missing)}", code="USE-INTAKE-FILE")
    settings = app_context(config, current_schema=False).settings
    scanner = ClamdScanner(settings.intake.clamd_socket) if settings.intake.clamd_socket else None
    isolation = build_isolation(settings)
    results = []
    for path in files:
        verdict = check_file(
            path, name=name, max_bytes=settings.intake.max_document_bytes, scanner=scanner, isolation=isolation
        )
        results.append({"file": str(path), **verdict.as_dict()})
    if as_json:
        for row in results:
            typer.echo(textsafe.dumps(row))
    else:
        _print_table(results)
    if any(row["verdict"] == "refused" for row in results):
        raise typer.Exit(1)


def _print_table(results: list[dict[str, Any]]) -> None:
    table = Table(show_lines=False)
    for column in ("file", "verdict", "reason", "flags", "type", "pages", "version", "size", "scanned"):
        # Codes are read and grepped whole: never cut them, fold the file path instead.
        table.add_column(column, overflow="fold", no_wrap=column != "file")
    for row in results:
        table.add_row(
            row["file"],
            row["verdict"],
            row["reason"] or "",
            ", ".join(row["flags"]),
            row["detected_type"],
            "" if row["page_count"] is None else str(row["page_count"]),
            row["pdf_version"] or "",
            str(row["size"]),
            row["scan_result"] if row["scanned"] else "not scanned",
        )
    # Piped output has no terminal width; a wide page keeps one row per file.
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
    console.print(table)
    for row in results:
        console.print(f"{row['file']}: {row['message_en']}", markup=False)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(intake_app, name="intake")

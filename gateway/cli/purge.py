"""``gateway purge``: retention of request files (exchange.md 9), dossiers (intake.md 7) and the mail drop."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from gateway import textsafe
from gateway.cli.context import ConfigOption, app_context
from gateway.cli.exchange import spool_paths
from gateway.clock import utcnow
from gateway.exchange.runtime.retention import purge_exchange
from gateway.intake.mailretention import purge_mail_drop
from gateway.intake.retention import purge_intake

out = Console(highlight=False, soft_wrap=True)


def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be deleted; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    config: ConfigOption = None,
) -> None:
    """Deletes request files, responses and dossiers past retention, keeping what later checks need."""
    context = app_context(config, actor="system")
    settings, now = context.settings, utcnow()
    exchange = purge_exchange(
        context.sessions,
        spool=spool_paths(settings),
        now=now,
        retention_days=settings.exchange.retention_days,
        dry_run=dry_run,
    )
    intake = purge_intake(
        context.sessions,
        applications_root=settings.applications_path,
        now=now,
        retention_days=settings.intake.retention_days,
        dry_run=dry_run,
    )
    mail = purge_mail_drop(
        context.sessions,
        folder=settings.maildrop_path,
        now=now,
        retention_days=settings.intake.mail_retention_days,
        held_days=settings.intake.mail_held_days,
        dry_run=dry_run,
    )
    if as_json:
        print(
            textsafe.dumps(
                {"exchange": exchange.as_dict(), "intake": intake.as_dict(), "mail": mail.as_dict()}, indent=2
            )
        )
        return
    verb = "would delete" if dry_run else "deleted"
    out.print(
        f"request files: {verb} {exchange.files} file(s) received before {exchange.cutoff:%Y-%m-%d} "
        f"({exchange.deleted_paths} path(s), {exchange.bytes_freed} bytes; {exchange.aside_files} set aside)",
        markup=False,
    )
    out.print(
        f"applications: {verb} {len(intake.applications)} dossier(s) closed before {intake.cutoff:%Y-%m-%d}",
        markup=False,
    )
    for application in intake.applications:
        out.print(
            f"  {application.reference}  {application.status}  {application.files} file(s), {application.bytes} bytes",
            markup=False,
        )
    out.print(
        f"mail drop: {verb} {mail.taken} message(s) taken, {mail.quarantined} quarantined and "
        f"{mail.unattached} left unattached ({mail.bytes} bytes)",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Adds ``purge`` to the root app."""
    app.command("purge")(purge)

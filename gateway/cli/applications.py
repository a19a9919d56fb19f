"""Application commands: ``gateway intake submit|list|report|approve|refuse|...`` and ``gateway codes import``.

This module also wires the intake service from the settings (:func:`build_applications`),
for the commands, the web role and the mail-drop watcher (:func:`build_maildrop`).

Exit status: 0 success; 1 when the command ran but found problems (``intake submit``: a
document refused or the report INCOMPLET; ``codes import``: a line refused; a decision the
status machine or the report does not allow); 2 usage or configuration errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from gateway import textsafe
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.config import Settings
from gateway.errors import UsageError
from gateway.service import Service

if TYPE_CHECKING:  # imported where used, to keep the CLI light
    from gateway.intake.applications import Applications
    from gateway.intake.maildrop import MailDrop
    from gateway.intake.notify import Mailer
    from gateway.intake.replytoken import ReplyAddress
    from gateway.isolation import Isolation

out = Console(highlight=False, soft_wrap=True)
codes_app = typer.Typer(help="OCB provider codes allocated before the gateway (import).", no_args_is_help=True)


# --------------------------------------------------------------------------- wiring


def build_isolation(settings: Settings) -> Isolation:
    """The worker processes that read documents, with the limits of the settings."""
    from gateway.isolation import Isolation, WorkLimits

    s = settings.intake
    return Isolation(
        WorkLimits(
            memory_bytes=s.document_memory_bytes,
            cpu_seconds=s.document_cpu_seconds,
            wall_seconds=s.document_wall_seconds,
        ),
        workers=s.document_workers,
    )


def build_mailer(s: Settings) -> Mailer:
    """The fund's outgoing mail: the SMTP server of ``[mail]``, else the outgoing folder."""
    from gateway.intake import notify

    if s.mail.smtp_host:
        password = os.environ.get(s.mail.smtp_password_env, "") if s.mail.smtp_password_env else ""
        return notify.SmtpMailer(
            s.mail.smtp_host, s.mail.smtp_port, starttls=s.mail.smtp_starttls, user=s.mail.smtp_user, password=password
        )
    return notify.FolderMailer(s.outgoing_mail_path)


def build_applications(context: AppContext) -> Applications:
    """The intake service for these settings (also used by the web and watcher roles)."""
    from gateway.intake import followup, notify
    from gateway.intake.applications import Applications
    from gateway.intake.documents import ClamdScanner
    from gateway.intake.dossier import Dossier

    s = context.settings
    mailer = build_mailer(s)
    accounts = context.accounts
    return Applications(
        context.sessions,
        dossier=Dossier(s.applications_path),
        max_document_bytes=s.intake.max_document_bytes,
        scanner=ClamdScanner(s.intake.clamd_socket) if s.intake.clamd_socket else None,
        notifier=notify.Notifier(mailer, s.mail.sender, reply_address=s.mail.reply_address),
        register_provider=lambda code, name: accounts.add(code, profession="OCB", name=name),
        followup_days_after_close=s.intake.followup_days_after_close,
        followup_url=s.web.public_url.rstrip("/") + followup.FOLLOWUP_PATH,
        isolation=build_isolation(s),
        timezone=s.exchange.timezone,
    )


def build_drop(context: AppContext, applications: Applications | None = None) -> MailDrop:
    """The mail drop for these settings (the watcher's service, ``take-mail``, the staff page)."""
    from gateway.intake.maildrop import MailDrop
    from gateway.intake.mailparse import MailLimits

    s = context.settings
    limits = MailLimits(
        max_bytes=s.intake.mail_max_bytes,
        max_parts=s.intake.mail_max_parts,
        max_attachments=s.intake.mail_max_attachments,
        max_depth=s.intake.mail_max_depth,
    )
    return MailDrop(
        applications or build_applications(context),
        s.maildrop_path,
        limits=limits,
        mailbox=reply_mailbox(context),
        max_attempts=s.intake.mail_max_attempts,
    )


def reply_mailbox(context: AppContext) -> ReplyAddress | None:
    """``mail.reply_address`` as a mailbox, or None (its form was checked when the settings were loaded)."""
    from gateway.intake.replytoken import ReplyAddress

    return ReplyAddress.parse(context.settings.mail.reply_address)


def build_maildrop(context: AppContext) -> list[Service]:
    """The mail-drop watcher of the ``watcher`` role."""
    return [build_drop(context)]


def _actor(staff: str | None) -> str:
    return f"staff:{staff}" if staff else "cli"


StaffOption = Annotated[str | None, typer.Option("--staff", help="Staff login named in the history and audit trail.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _print_json(value: object) -> None:
    typer.echo(textsafe.dumps(value, indent=2, default=str))


# --------------------------------------------------------------------------- intake submit


def _parse_documents(values: list[str]) -> list[tuple[str, Path]]:
    from gateway.intake.requirements import DocumentKind

    parsed = []
    for value in values:
        kind, sep, path = value.partition("=")
        if not sep or not kind or not path:
            raise UsageError(f"--document {value!r}: expected KIND=PATH", code="USE-INTAKE-DOCUMENT")
        if kind not in DocumentKind.__members__.values():
            raise UsageError(
                f"--document {value!r}: kind must be one of {', '.join(DocumentKind)}", code="USE-INTAKE-KIND"
            )
        if not Path(path).is_file():
            raise UsageError(f"--document {value!r}: {path} is not a readable file", code="USE-INTAKE-FILE")
        parsed.append((kind, Path(path)))
    return parsed


def submit(
    name: Annotated[str, typer.Option("--name", help="Establishment name.")] = "",
    legal_form: Annotated[
        str, typer.Option("--legal-form", help="ENTREPRISE_INDIVIDUELLE, SARL, SARL_S, SA, SNC, SCS or AUTRE.")
    ] = "",
    street: Annotated[str, typer.Option("--street")] = "",
    postcode: Annotated[str, typer.Option("--postcode", help="L-dddd")] = "",
    locality: Annotated[str, typer.Option("--locality")] = "",
    register_number: Annotated[
        str, typer.Option("--register-number", help="Trade register number, e.g. B123456.")
    ] = "",
    authorisation: Annotated[str, typer.Option("--authorisation", help="Establishment authorisation number.")] = "",
    manager_first_name: Annotated[str, typer.Option("--manager-first-name")] = "",
    manager_last_name: Annotated[str, typer.Option("--manager-last-name")] = "",
    matricule: Annotated[str, typer.Option("--matricule", help="Manager's matricule (13 digits), optional.")] = "",
    email: Annotated[str, typer.Option("--email", help="Contact e-mail address.")] = "",
    phone: Annotated[str, typer.Option("--phone", help="Contact phone number.")] = "",
    iban: Annotated[str, typer.Option("--iban")] = "",
    document: Annotated[
        list[str] | None, typer.Option("--document", help="KIND=PATH of a scanned document (repeatable).")
    ] = None,
    staff: StaffOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Enters an application received on paper (status TRANSMISE) with its scanned documents."""
    from gateway.intake.status import Channel
    from gateway.intake.validation import ApplicationData

    documents = _parse_documents(document or [])
    context = app_context(config)
    applications = build_applications(context)
    data = ApplicationData(
        establishment_name=name,
        legal_form=legal_form,
        street=street,
        postcode=postcode,
        locality=locality,
        register_number=register_number,
        authorisation_number=authorisation,
        manager_first_name=manager_first_name,
        manager_last_name=manager_last_name,
        manager_matricule=matricule,
        contact_email=email,
        contact_phone=phone,
        iban=iban,
    )
    actor = _actor(staff)
    created = applications.create(data, channel=Channel.PAPER, actor=actor)
    reference = created.application.reference
    verdicts = [
        applications.attach_document(
            reference, data=path.read_bytes(), name=path.name, kind=kind, actor=actor, by_staff=True
        )
        for kind, path in documents
    ]
    report = applications.report(reference)
    if as_json:
        _print_json(
            {
                "reference": reference,
                "status": str(created.application.status),
                "followup_url": applications.link(created.followup_token),
                "documents": [v.as_dict() for v in verdicts],
                "report": report.as_dict(),
            }
        )
    else:
        out.print(f"{reference}  {created.application.status}  report: {report.verdict}", markup=False)
        for v in verdicts:
            out.print(f"  {v.kind}: {v.display_name}  {v.verdict}{' ' + v.reason if v.reason else ''}", markup=False)
        for c in report.to_correct:
            out.print(f"  to correct: {c.message_en}", markup=False)
        out.print(f"  follow-up link: {applications.link(created.followup_token)}", markup=False)
    if any(not v.accepted for v in verdicts) or not report.complete:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- staff commands


def list_(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    search: Annotated[str, typer.Option("--search", help="Reference, name, e-mail or code contains.")] = "",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Lists applications, newest first."""
    rows = build_applications(app_context(config)).list(status=status, search=search, limit=1000)
    if as_json:
        _print_json([{k: v for k, v in r.as_dict().items() if k not in ("documents", "history")} for r in rows])
        return
    for r in rows:
        outcome = f"/{r.outcome}" if r.outcome else ""
        out.print(
            f"{r.reference}  {r.status}{outcome}  {r.channel}  {r.data.establishment_name or '-'}  "
            f"{r.provider_code or ''}".rstrip(),
            markup=False,
        )


def report(
    reference: str,
    fmt: Annotated[str, typer.Option("--format", help="text, json, html or pdf.")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (needed for pdf).", dir_okay=False)
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="fr or en (html and text).")] = "fr",
    config: ConfigOption = None,
) -> None:
    """Prints (or writes) the intake report of an application."""
    from gateway.intake.rendering import render_html, render_pdf

    if fmt not in ("text", "json", "html", "pdf"):
        raise UsageError("--format must be text, json, html or pdf")
    if fmt == "pdf" and output is None:
        raise UsageError("--format pdf needs --output FILE")
    applications = build_applications(app_context(config))
    value = applications.report(reference)
    if fmt == "pdf":
        data = render_pdf(value, timezone=applications.timezone)
    elif fmt == "json":
        data = value.to_json().encode("utf-8")
    elif fmt == "html":
        data = render_html(value, lang=lang, timezone=applications.timezone).encode("utf-8")
    else:
        en = lang == "en"
        lines = [f"{value.reference}  {value.status}  {value.verdict}"]
        lines += [f"  {k.kind}: {k.state}" for k in value.kinds]
        lines += [f"  to correct: {c.message_en if en else c.message_fr}" for c in value.to_correct]
        data = ("\n".join(lines) + "\n").encode("utf-8")
    if output is not None:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def approve(
    reference: str, staff: StaffOption = None, as_json: JsonOption = False, config: ConfigOption = None
) -> None:
    """Approves a COMPLET application: allocates and prints the provider code."""
    view = build_applications(app_context(config, actor=_actor(staff))).decisions.approve(
        reference, actor=_actor(staff)
    )
    if as_json:
        _print_json(
            {
                "reference": reference,
                "status": str(view.status),
                "outcome": str(view.outcome),
                "provider_code": view.provider_code,
            }
        )
    else:
        out.print(f"{reference}: code {view.provider_code}", markup=False)


def refuse(
    reference: str,
    reason: Annotated[str, typer.Option("--reason", help="Told to the applicant.")],
    staff: StaffOption = None,
    config: ConfigOption = None,
) -> None:
    """Refuses an application with a reason."""
    view = build_applications(app_context(config)).decisions.refuse(reference, reason, actor=_actor(staff))
    out.print(f"{reference}: {view.status}/{view.outcome}", markup=False)


def request_correction(
    reference: str,
    message: Annotated[str, typer.Option("--message", help="What the applicant must correct.")],
    staff: StaffOption = None,
    config: ConfigOption = None,
) -> None:
    """Asks the applicant for corrections (status A_CORRIGER); the message is sent to them."""
    view = build_applications(app_context(config)).decisions.request_correction(reference, message, actor=_actor(staff))
    out.print(f"{reference}: {view.status}", markup=False)


def withdraw(
    reference: str,
    reason: Annotated[str, typer.Option("--reason")] = "",
    staff: StaffOption = None,
    config: ConfigOption = None,
) -> None:
    """Withdraws an application on the applicant's request."""
    view = build_applications(app_context(config)).decisions.withdraw(reference, actor=_actor(staff), reason=reason)
    out.print(f"{reference}: {view.status}/{view.outcome}", markup=False)


def confirm_kind(
    reference: str, document_id: int, kind: str, staff: StaffOption = None, config: ConfigOption = None
) -> None:
    """Sets or confirms the kind of a document (mail attachments are only suggested)."""
    doc = build_applications(app_context(config)).confirm_kind(reference, document_id, kind, actor=_actor(staff))
    out.print(f"{reference}: document {doc.id} is {doc.kind}", markup=False)


def take_mail(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Takes the messages waiting in the mail drop once (what the watcher does continuously)."""
    drop = build_drop(app_context(config))
    drop.create_folders()
    outcomes = drop.process_pending()
    if as_json:
        _print_json([o.__dict__ for o in outcomes])
    else:
        for o in outcomes:
            if o.state == "taken":
                how = f"{'joined' if o.joined else 'opened'} {o.reference} ({o.documents} documents)"
            else:
                how = o.state.replace("_", " ") + (f" ({o.reason})" if o.reason else "")
            out.print(f"{o.file}: {how}", markup=False)


# --------------------------------------------------------------------------- codes import


def import_codes(
    file: Annotated[Path, typer.Argument(help="One code per line: CODE;NAME (see docs/intake.md).", dir_okay=False)],
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Registers OCB provider codes allocated before the gateway; allocation continues above them."""
    from gateway.clock import utcnow
    from gateway.intake.codes import import_codes as run_import
    from gateway.store.db import transaction

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {file}: {exc}", code="USE-CODES-FILE") from None
    context = app_context(config)
    with transaction(context.sessions) as session:
        result = run_import(session, text, actor="cli", at=utcnow())
    if as_json:
        _print_json(result.as_dict())
    else:
        out.print(
            f"imported {len(result.imported)}, already known {len(result.already_known)}, "
            f"refused {len(result.refused)}; highest code {result.highest or '-'}",
            markup=False,
        )
        for line in result.refused:
            out.print(f"  line {line.line}: {line.problem}", markup=False)
    if result.refused:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds the application commands to the ``intake`` group and ``codes`` to the root app."""
    from gateway.cli.intake import intake_app

    intake_app.command("submit")(submit)
    intake_app.command("list")(list_)
    intake_app.command("report")(report)
    intake_app.command("approve")(approve)
    intake_app.command("refuse")(refuse)
    intake_app.command("request-correction")(request_correction)
    intake_app.command("withdraw")(withdraw)
    intake_app.command("confirm-kind")(confirm_kind)
    intake_app.command("take-mail")(take_mail)
    codes_app.command("import")(import_codes)
    app.add_typer(codes_app, name="codes")

"""Forwarded records for the back office: export, replay to the broker, the publisher role.

- ``gateway forwarded export [--since ID] [--format csv|csv-acts|jsonl]``: whole accepted
  records, read-only, ids above ``--since`` (exclusive), in id order (operations.md).
- ``gateway forwarded republish --since ID [--until ID] [--provider CODE]``: queues those
  records to the broker again (a replay: same message ids, header ``replay``).
- ``gateway forwarded status``: what is owed to the broker and what the publishers last saw.
- :func:`build_publisher`: ``gateway serve --role publisher`` (and a plain ``gateway serve``
  whenever ``forwarding.amqp_url`` is set).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

import typer

from gateway import textsafe
from gateway.cli.context import AppContext, ConfigOption, app_context
from gateway.clock import utcnow
from gateway.config import Settings
from gateway.errors import UsageError
from gateway.exchange.runtime.forwarding import export_records, lock_ids, render_export
from gateway.exchange.runtime.forwarding.records import RecordDocument
from gateway.service import Service
from gateway.store.db import transaction

forwarded_app = typer.Typer(help="Accepted records handed on to the back office.", no_args_is_help=True)


class ExportFormat(StrEnum):
    csv = "csv"
    csv_acts = "csv-acts"
    jsonl = "jsonl"


def publishing(settings: Settings) -> bool:
    """True when records are pushed to a broker (``forwarding.amqp_url`` set)."""
    return bool(settings.forwarding.amqp_url.strip())


def build_publisher(context: AppContext) -> list[Service]:
    """``--role publisher``: the outbox publisher (refused when no broker is configured)."""
    from gateway.exchange.runtime.claims import ProcessIdentity
    from gateway.exchange.runtime.forwarding.broker import AmqpBroker, Topology, redacted
    from gateway.exchange.runtime.forwarding.publisher import PublisherService

    f = context.settings.forwarding
    if not publishing(context.settings):
        raise UsageError(
            "the publisher role needs forwarding.amqp_url (the broker to publish to)", code="FWD-NOT-CONFIGURED"
        )
    broker = AmqpBroker(
        f.amqp_url,
        Topology(f.exchange, f.queue, f.binding_key),
        connect_timeout=f.connect_timeout,
        heartbeat=f.heartbeat,
        blocked_timeout=f.blocked_timeout,
    )
    return [
        PublisherService(
            context.sessions,
            broker,
            claimant=ProcessIdentity.current().claimant("publisher"),
            broker_name=redacted(f.amqp_url),
            batch_size=f.batch_size,
            lease_s=f.claim_lease,
            poll_interval=f.poll_interval,
            retry_initial=f.retry_initial,
            retry_max=f.retry_max,
        )
    ]


# ----------------------------------------------------------------------- commands


@forwarded_app.command("export")
def export(
    since: Annotated[int, typer.Option(help="Only records with an id above this one (exclusive).", min=0)] = 0,
    format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="csv (one row per record, with a header line), csv-acts (one row per act) or jsonl (one whole record per line).",
        ),
    ] = ExportFormat.csv,  # `format`: the option keeps the name users type
    config: ConfigOption = None,
) -> None:
    """Writes accepted records to standard output, oldest first; changes nothing."""
    context = app_context(config)
    for chunk in render_export(pages(context, since), format.value):
        sys.stdout.write(chunk)
    sys.stdout.flush()


def pages(context: AppContext, since: int, page: int = 2000) -> Iterator[RecordDocument]:
    """Every record above ``since``, read a page at a time (memory stays bounded)."""
    while True:
        with context.sessions() as session:
            records = export_records(session, since=since, limit=page)
        yield from records
        if len(records) < page:
            return
        since = records[-1]["id"]


@forwarded_app.command("republish")
def republish(
    since: Annotated[int, typer.Option(help="Replay records with an id above this one (exclusive).", min=0)],
    until: Annotated[int | None, typer.Option(help="... up to this id (inclusive).", min=0)] = None,
    provider: Annotated[str, typer.Option(help="Only this provider's records.")] = "",
    config: ConfigOption = None,
) -> None:
    """Queues accepted records to the broker again, in id order, after what is already queued."""
    from gateway.exchange.runtime.forwarding import outbox

    context = app_context(config, actor="cli")
    if not publishing(context.settings):
        raise UsageError(
            "nothing would publish them: forwarding.amqp_url is empty (the back office pulls with "
            "gateway forwarded export --since ID)",
            code="FWD-NOT-CONFIGURED",
        )
    total, cursor = 0, since
    while True:
        with transaction(context.sessions) as session:
            lock_ids(session)
            count, last = outbox.republish(
                session, since=cursor, until=until, provider=provider or None, now=utcnow(), limit=5000
            )
        total += count
        if last is None:
            break
        cursor = last
    typer.echo(f"{total} record(s) queued for the broker again" + (f", up to id {cursor}" if total else ""))


@forwarded_app.command("status")
def status(
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False, config: ConfigOption = None
) -> None:
    """What is owed to the broker and what the publishers last saw of it."""
    from gateway.exchange.runtime.forwarding.monitor import forwarding_health

    context = app_context(config)
    with context.sessions() as session:
        health = forwarding_health(session, utcnow())
    body = {
        "unsent": health.unsent,
        "oldest_unsent_age_seconds": round(health.oldest_age_s, 1),
        "publishers": health.publishers,
        "broker": health.broker,
        "problem": health.problem,
    }
    if json_output:
        typer.echo(textsafe.dumps(body))
    else:
        typer.echo(health.problem or health.summary)
    if health.problem:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""
    app.add_typer(forwarded_app, name="forwarded")

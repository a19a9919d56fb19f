"""Deeper checks of loaded settings for ``gateway check-config``: folders, URLs, values.

:func:`gateway.config.load_settings` already refuses unknown keys and wrong types; this
module looks at what the values point to. Every finding is a sentence an operator can act on.
:func:`check_settings` returns problems (the configuration cannot be used);
:func:`check_modes` returns warnings (personal data other users of the machine can read).
"""

from __future__ import annotations

import ipaddress
import tempfile
import zoneinfo
from collections.abc import Collection
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.config import Settings
from gateway.store.files import make_folder
from gateway.store.modes import find_open

#: how many open files or folders check-config lists before it stops looking
MODE_WARNINGS = 20


def _writable_folder(label: str, path: Path) -> str | None:
    """None when ``path`` is (or could be made) a folder we can write in, else the problem.

    Tries for real (create the folder, write and remove a probe file): permission bits say
    nothing for root, read-only mounts or full disks.
    """
    if path.exists() and not path.is_dir():
        return f"{label}: {path} exists but is not a folder"
    try:
        make_folder(path)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-config-"):
            pass
    except OSError as exc:
        return f"{label}: {path} is not writable ({exc.strerror or exc})"
    return None


def check_settings(settings: Settings, roles: Collection[str] = ()) -> list[str]:
    """Every problem found in ``settings`` (empty when they can be used); ``roles`` are the
    roles of ``gateway serve``, which the per-role settings may name."""
    problems: list[str] = []
    folders = {
        "paths.data": settings.paths.data,
        "paths.inbox": settings.paths.inbox,
        "paths.outbox": settings.paths.outbox,
        "paths.providers": settings.paths.providers,
        "intake.maildrop": settings.maildrop_path,
        "mail.outgoing": settings.outgoing_mail_path,
    }
    for label, path in folders.items():
        problem = _writable_folder(label, path)
        if problem:
            problems.append(problem)
    if not settings.paths.schemas.is_dir():
        problems.append(f"paths.schemas: {settings.paths.schemas} is not a folder")

    try:
        url = make_url(settings.database_url)
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            problems.append(f"database.url: backend {url.get_backend_name()!r} is not supported (use sqlite or postgresql)")
        elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            problem = _writable_folder("database.url", Path(url.database).parent)
            if problem:
                problems.append(problem)
    except ArgumentError:
        problems.append(f"database.url: {settings.database.url!r} is not a database URL (example: postgresql://user@host:5432/name)")

    for label, port in (("sftp.port", settings.sftp.port), ("web.port", settings.web.port),
                        ("portal.port", settings.portal.port), ("client.port", settings.client.port)):
        if not 0 <= port <= 65535:
            problems.append(f"{label}: {port} is not a TCP port (0..65535)")
    for label, host in (("sftp.host", settings.sftp.host), ("web.host", settings.web.host),
                        ("portal.host", settings.portal.host)):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not host or any(c.isspace() for c in host):
                problems.append(f"{label}: {host!r} is not an address to listen on")

    for label, url in (("web.public_url", settings.web.public_url), ("portal.public_url", settings.portal.public_url)):
        public = urlparse(url)
        if public.scheme not in {"http", "https"} or not public.netloc:
            problems.append(f"{label}: {url!r} is not an http(s) URL")
    for proxy in settings.web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f"web.trusted_proxies: {proxy!r} is not an address or network")

    try:
        zoneinfo.ZoneInfo(settings.exchange.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(f"exchange.timezone: {settings.exchange.timezone!r} is not a known time zone (example: Europe/Luxembourg)")

    positive = {
        "exchange.max_file_bytes": settings.exchange.max_file_bytes,
        "intake.max_document_bytes": settings.intake.max_document_bytes,
        "intake.mail_max_bytes": settings.intake.mail_max_bytes,
        "intake.mail_max_parts": settings.intake.mail_max_parts,
        "intake.mail_max_attachments": settings.intake.mail_max_attachments,
        "intake.mail_max_depth": settings.intake.mail_max_depth,
        "intake.mail_max_attempts": settings.intake.mail_max_attempts,
        "web.max_form_bytes": settings.web.max_form_bytes,
        "web.max_field_bytes": settings.web.max_field_bytes,
        "exchange.part_max_age": settings.exchange.part_max_age,
        "exchange.workers": settings.exchange.workers,
        "exchange.retention_days": settings.exchange.retention_days,
        "intake.retention_days": settings.intake.retention_days,
        "sftp.max_sessions_per_account": settings.sftp.max_sessions_per_account,
        "sftp.max_sessions_total": settings.sftp.max_sessions_total,
        "sftp.max_auth_attempts": settings.sftp.max_auth_attempts,
        "processes.restart_delay": settings.processes.restart_delay,
        "processes.restart_delay_max": settings.processes.restart_delay_max,
        "processes.crash_loop_exits": settings.processes.crash_loop_exits,
        "processes.crash_loop_window": settings.processes.crash_loop_window,
        "processes.stop_timeout": settings.processes.stop_timeout,
        "intake.document_workers": settings.intake.document_workers,
        "intake.document_cpu_seconds": settings.intake.document_cpu_seconds,
        "intake.document_wall_seconds": settings.intake.document_wall_seconds,
    }
    for label, value in positive.items():
        if value <= 0:
            problems.append(f"{label}: must be greater than 0, got {value}")
    problems += _forwarding_problems(settings)
    if settings.intake.document_memory_bytes < 256 * 1024 * 1024:
        problems.append("intake.document_memory_bytes: at least 268435456 (256 MiB: the worker's interpreter "
                        f"and PDF libraries need about 100 MiB), got {settings.intake.document_memory_bytes}")
    local, at, domain = settings.mail.reply_address.strip().rpartition("@")
    if settings.mail.reply_address.strip() and (not at or not local or not domain or "+" in local):
        problems.append(f"mail.reply_address: {settings.mail.reply_address!r} is not a mailbox address "
                        "(example: demandes@fund.lu, without a +tag)")
    if settings.sftp.processes < 0:
        problems.append(f"sftp.processes: must be 0 (one per core) or more, got {settings.sftp.processes}")
    if settings.processes.workers < 0:
        problems.append(f"processes.workers: must be 0 (one per core) or more, got {settings.processes.workers}")
    if roles:
        problems += check_role_names(settings, roles)
    for name in ("memory_max", "open_files"):
        for role, value in getattr(settings.processes, name).items():
            if value < 0:
                problems.append(f"processes.{name}.{role}: must be 0 (no limit) or more, got {value}")
    if settings.log.level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"log.level: {settings.log.level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    if settings.log.format not in {"auto", "json", "console"}:
        problems.append(f"log.format: {settings.log.format!r} is not one of auto, json, console")
    return problems


def check_role_names(settings: Settings, roles: Collection[str]) -> list[str]:
    """Problems: per-role settings that name something other than one of ``roles``."""
    return [f"processes.{name}: {role!r} is not a role (roles: {', '.join(roles)})"
            for name in ("memory_max", "open_files")
            for role in getattr(settings.processes, name) if role not in roles]


def personal_data_paths(settings: Settings) -> dict[str, Path]:
    """The configured places that hold personal data (schemas do not), by setting name."""
    paths = {
        "paths.data": settings.paths.data,
        "paths.inbox": settings.paths.inbox,
        "paths.outbox": settings.paths.outbox,
        "paths.providers": settings.paths.providers,
        "intake.maildrop": settings.maildrop_path,
        "mail.outgoing": settings.outgoing_mail_path,
        "sftp.host_key": settings.host_key_path,
    }
    if str(settings.exchange.archive) not in ("", "."):
        paths["exchange.archive"] = settings.exchange.archive
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return paths
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        for suffix in ("", "-wal", "-shm"):
            paths[f"database.url{suffix}"] = database.with_name(database.name + suffix)
    return paths


def check_modes(settings: Settings) -> list[str]:
    """Warnings: existing files and folders under the configured paths that group or others
    may read (at most :data:`MODE_WARNINGS`, then a line saying there may be more)."""
    scan = find_open(personal_data_paths(settings).values(), limit=MODE_WARNINGS)
    warnings = [entry.sentence() for entry in scan.found]
    if not scan.complete:
        warnings.append(f"(stopped after {len(scan.found)}; there may be more)")
    return warnings
def _forwarding_problems(settings: Settings) -> list[str]:
    """The broker settings (section ``forwarding``)."""
    problems: list[str] = []
    forwarding = settings.forwarding
    if forwarding.amqp_url:
        url = urlparse(forwarding.amqp_url)
        if url.scheme not in {"amqp", "amqps"} or not url.hostname:
            problems.append("forwarding.amqp_url: expected amqp://user:password@host:5672/vhost (or amqps://), "
                            "got a URL without that form")
        if not forwarding.exchange.strip():
            problems.append("forwarding.exchange: a name is required when forwarding.amqp_url is set")
    for label, value in (("forwarding.batch_size", forwarding.batch_size),
                         ("forwarding.claim_lease", forwarding.claim_lease),
                         ("forwarding.poll_interval", forwarding.poll_interval),
                         ("forwarding.retry_initial", forwarding.retry_initial),
                         ("forwarding.connect_timeout", forwarding.connect_timeout),
                         ("forwarding.blocked_timeout", forwarding.blocked_timeout)):
        if value <= 0:
            problems.append(f"{label}: must be greater than 0, got {value}")
    if forwarding.retry_max < forwarding.retry_initial:
        problems.append(f"forwarding.retry_max: must be at least forwarding.retry_initial ({forwarding.retry_initial}), "
                        f"got {forwarding.retry_max}")
    if forwarding.heartbeat < 0:
        problems.append(f"forwarding.heartbeat: must be 0 (none) or more, got {forwarding.heartbeat}")
    return problems

"""Deeper checks of loaded settings for ``gateway check-config``: folders, URLs, values.

:func:`gateway.config.load_settings` already refuses unknown keys and wrong types; this
module looks at what the values point to. Every finding is a sentence an operator can act on.
"""

from __future__ import annotations

import ipaddress
import tempfile
import zoneinfo
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.config import Settings


def _writable_folder(label: str, path: Path) -> str | None:
    """None when ``path`` is (or could be made) a folder we can write in, else the problem.

    Tries for real (create the folder, write and remove a probe file): permission bits say
    nothing for root, read-only mounts or full disks.
    """
    if path.exists() and not path.is_dir():
        return f"{label}: {path} exists but is not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".check-config-"):
            pass
    except OSError as exc:
        return f"{label}: {path} is not writable ({exc.strerror or exc})"
    return None


def check_settings(settings: Settings) -> list[str]:
    """Every problem found in ``settings`` (empty when they can be used)."""
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

    for label, port in (("sftp.port", settings.sftp.port), ("web.port", settings.web.port), ("client.port", settings.client.port)):
        if not 0 <= port <= 65535:
            problems.append(f"{label}: {port} is not a TCP port (0..65535)")
    for label, host in (("sftp.host", settings.sftp.host), ("web.host", settings.web.host)):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not host or any(c.isspace() for c in host):
                problems.append(f"{label}: {host!r} is not an address to listen on")

    public = urlparse(settings.web.public_url)
    if public.scheme not in {"http", "https"} or not public.netloc:
        problems.append(f"web.public_url: {settings.web.public_url!r} is not an http(s) URL")
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
    }
    for label, value in positive.items():
        if value <= 0:
            problems.append(f"{label}: must be greater than 0, got {value}")
    local, at, domain = settings.mail.reply_address.strip().rpartition("@")
    if settings.mail.reply_address.strip() and (not at or not local or not domain or "+" in local):
        problems.append(f"mail.reply_address: {settings.mail.reply_address!r} is not a mailbox address "
                        "(example: demandes@fund.lu, without a +tag)")
    if settings.sftp.processes < 0:
        problems.append(f"sftp.processes: must be 0 (one per core) or more, got {settings.sftp.processes}")
    if settings.log.level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"log.level: {settings.log.level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    if settings.log.format not in {"auto", "json", "console"}:
        problems.append(f"log.format: {settings.log.format!r} is not one of auto, json, console")
    return problems

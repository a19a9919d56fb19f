"""Checks of loaded settings that look beyond them, for ``gateway check-config`` and ``serve``.

:func:`gateway.config.load_settings` already refuses unknown keys, wrong types and values
out of their declared bounds (each declared next to its setting); this module looks at what
the values point to on this host (folders that must be writable) and at what spans sections
and the roles of ``gateway serve``. Every finding is a sentence an operator can act on.
:func:`check_settings` returns problems (the configuration cannot be used);
:func:`check_modes` returns warnings (personal data other users of the machine can read).
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path

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

    url = make_url(settings.database_url)  # its form was checked when the settings were loaded
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        problem = _writable_folder("database.url", Path(url.database).parent)
        if problem:
            problems.append(problem)
    if roles:
        problems += check_role_names(settings, roles)
    return problems


def check_role_names(settings: Settings, roles: Collection[str]) -> list[str]:
    """Problems: per-role settings that name something other than one of ``roles``."""
    return [
        f"processes.{name}: {role!r} is not a role (roles: {', '.join(roles)})"
        for name in ("memory_max", "open_files")
        for role in getattr(settings.processes, name)
        if role not in roles
    ]


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

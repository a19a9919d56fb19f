"""``gateway purge``: retention of request files and application dossiers."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this module's commands to the root app."""

"""``gateway validate``: the exchange checks offline (added by the exchange checks)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this module's commands to the root app."""

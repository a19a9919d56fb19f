"""Commands of the client area (added by that area)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the root app."""

"""What every command shares: the ``--config`` option and the objects built from settings.

This is the only place that reads the configuration; commands take plain values from the
:class:`AppContext` and hand them down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

try:  # typer carries its own copy of click: its context stack is the one commands run in
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - a typer that uses click itself
    from click import get_current_context  # type: ignore[no-redef]  # click's, for a typer without a copy

if TYPE_CHECKING:  # imported where used: every command imports this module, few use a database
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from gateway.accounts.service import Accounts
    from gateway.config import Settings

#: the umask of every command: files and folders created without an explicit mode stay private
UMASK = 0o077

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: $GATEWAY_CONFIG, else ./config.toml).", dir_okay=False),
]


@dataclass
class AppContext:
    """Settings and the shared objects built from them, created on first use."""

    settings: Settings
    actor: str = "system"
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from gateway.store.db import make_engine

            self._engine = make_engine(
                self.settings.database_url, busy_timeout_ms=self.settings.database.busy_timeout_ms
            )
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from gateway.store.db import make_session_factory

        return make_session_factory(self.engine)

    def require_schema(self) -> None:
        """Refuses to go on unless the database schema is current."""
        from gateway.store import schema

        schema.require_current(self.engine)

    @cached_property
    def accounts(self) -> Accounts:
        from gateway.accounts.mirror import AccountMirror
        from gateway.accounts.service import Accounts

        s = self.settings
        return Accounts(self.sessions, AccountMirror(s.accounts_path, s.paths.inbox, s.paths.outbox), actor=self.actor)


def app_context(config: Path | None, *, actor: str = "cli", current_schema: bool = True) -> AppContext:
    """Loads the settings named by ``--config`` (this command's, else the root's)."""
    from gateway.config import find_config, load_settings
    from gateway.logs import configure_logging

    if config is None:
        root = get_current_context(silent=True)
        while root is not None and root.parent is not None:
            root = root.parent
        if root is not None and isinstance(root.obj, dict):
            config = root.obj.get("config")
    settings = load_settings(find_config(config))
    configure_logging(settings.log.level, settings.log.format)
    context = AppContext(settings, actor=actor)
    if current_schema:
        context.require_schema()
    return context

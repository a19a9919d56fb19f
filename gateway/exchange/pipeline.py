"""The exchange checks: every stage of spec/exchange.md section 4, in order, in one place.

:class:`Checker` is what the worker and ``gateway validate`` call. It is thread-safe: several
worker threads share one instance.
"""

from __future__ import annotations

from pathlib import Path

from gateway.exchange.model import History, Outcome, Received


class Checker:
    """Checks received request files against the schemas, nomenclature and history."""

    def __init__(self, schemas_dir: Path, *, timezone: str, max_file_bytes: int) -> None:
        self.schemas_dir = Path(schemas_dir)
        self.timezone = timezone
        self.max_file_bytes = max_file_bytes

    def check(self, received: Received, history: History) -> Outcome:
        """Runs every stage on ``received`` and returns its outcome (never raises on content)."""
        raise NotImplementedError

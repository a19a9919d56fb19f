"""The response file of spec/exchange.md section 6."""

from __future__ import annotations

import datetime as dt

from gateway.exchange.model import Outcome


def render_response(outcome: Outcome, *, processed_at: dt.datetime, timezone: str) -> bytes:
    """The response XML for ``outcome``, valid against schemas/response-1.0.xsd."""
    raise NotImplementedError

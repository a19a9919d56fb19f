"""Text that machines read: always valid UTF-8, whatever the file names held.

A POSIX file name is bytes. Python hands a name that is not valid UTF-8 over as a ``str``
holding lone surrogates (``surrogateescape``: byte 0xFF becomes ``"\\udcff"``), and such a
string cannot be written as UTF-8: ``json.dumps(..., ensure_ascii=False)`` writes it as raw
bytes a strict reader refuses, and the default ``ensure_ascii`` writes ``\\udcff``, an escape
strict JSON readers refuse too. Every ``--json`` output, every API response and every log
line goes through :func:`safe_text` (strings) or :func:`safe_json` (whole values): each such
byte is shown as ``\\xFF``, the way a person reads it, and other lone surrogates as ``\\uD800``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    if 0xDC80 <= point <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{point - 0xDC00:02X}"
    return f"\\u{point:04X}"


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by a visible escape; valid UTF-8."""
    return _SURROGATE.sub(_escape, text) if not text.isascii() else text


def safe_json(value: Any) -> Any:
    """``value`` with every string in it (mapping keys too) passed through :func:`safe_text`."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Mapping):
        return {safe_json(k): safe_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_json(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` of :func:`safe_json` ``(value)``, non-ASCII kept as is (``ensure_ascii``
    off): the one way the gateway writes JSON for machines."""
    fallback = options.pop("default", None)
    if fallback is not None:  # what the fallback makes of an object is cleaned too
        options["default"] = lambda obj: safe_json(fallback(obj))
    return json.dumps(safe_json(value), ensure_ascii=False, **options)

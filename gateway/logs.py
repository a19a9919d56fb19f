"""Structured logs: JSON lines when not on a terminal, readable lines on one.

Every line, ours and the libraries' (uvicorn's access log included), passes through
:func:`redact_secrets` before it is written: the one place that keeps secrets out of the logs
(:data:`SECRET_PATTERNS`: follow-up tokens in paths, secret-bearing query parameters, bearer
credentials, API keys, session and CSRF cookies; and fields named like a secret), and the
one place that keeps every line valid UTF-8 (file names with undecodable bytes are escaped
by :func:`gateway.textsafe.safe_text`).

structlog is imported when the first line is written, not before: importing it imports rich,
pygments and asyncio (a quarter of a second), which a command that logs nothing, such as
``gateway validate``, does without. Until then :func:`get_logger` hands out a stand-in and
:func:`configure_logging` keeps the configuration to apply.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from gateway.textsafe import safe_text

if TYPE_CHECKING:
    import structlog

REDACTED = "[redacted]"
#: (pattern, replacement, needles) applied to every string of every log line. A pattern is
#: tried only on a string that holds one of its needles (lower case), text that each of its
#: matches holds: most strings of a line hold none, and trying the five patterns on a string
#: cost about 20 us, most of a line's cost.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    # Path segments that are keys themselves: the applicant's follow-up link /suivi/<token>.
    # (also percent-encoded, as in a ``next=`` parameter).
    (re.compile(r"((?:/|%2F)suivi(?:/|%2F))[^/?#&\s\"'<>]+", re.IGNORECASE), rf"\g<1>{REDACTED}", ("suivi",)),
    # Query parameters (and form fields) that carry a secret.
    (
        re.compile(
            r"([?&;](?:token|key|api_?key|secret|password|passwd|session|sid|recovery_code|"
            r"csrf_token|access_token|auth|signature|sig)=)[^&#\s\"'<>]*",
            re.IGNORECASE,
        ),
        rf"\g<1>{REDACTED}",
        ("=",),
    ),
    # Credentials in headers written out by a library or a traceback.
    (
        re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\g<1> {REDACTED}",
        ("bearer", "basic"),
    ),
    # API keys wherever they appear.
    (re.compile(r"\bgwk_[A-Za-z0-9_-]+"), f"gwk_{REDACTED}", ("gwk_",)),
    # Session and CSRF cookies.
    (re.compile(r"((?:__Host-)?gw_(?:session|csrf)=)[^;,\s\"'<>]+"), rf"\g<1>{REDACTED}", ("gw_",)),
)
#: fields whose whole value is a secret, whatever it looks like
SECRET_FIELDS = frozenset(
    {
        "token",
        "password",
        "secret",
        "api_key",
        "authorization",
        "cookie",
        "session_token",
        "csrf_token",
        "recovery_code",
        "totp_secret",
    }
)


def redact(text: str) -> str:
    """``text`` with every secret that :data:`SECRET_PATTERNS` recognises replaced."""
    # Only ASCII text is screened by its needles: re.IGNORECASE also matches some non-ASCII
    # letters to ASCII ones ("ſ" to "s", "ı" to "i"), which lower() does not.
    lowered = text.lower() if text.isascii() else None
    for pattern, replacement, needles in SECRET_PATTERNS:
        if lowered is not None:
            for needle in needles:
                if needle in lowered:
                    break
            else:  # no needle: the pattern cannot match
                continue
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(safe_text(value))
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in SECRET_FIELDS else _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clean(v) for v in value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: redacts every field of a line (run after exceptions are formatted)."""
    return {
        key: value if key.startswith("_") else REDACTED if key.lower() in SECRET_FIELDS else _clean(value)
        for key, value in event_dict.items()
    }


#: the structlog configuration that configure_logging left to apply when the first line is written
_pending: Callable[[], None] | None = None
_pending_lock = threading.Lock()


def _processors(as_json: bool) -> tuple[list[Any], Any]:
    """(the processors every line passes, the renderer) for JSON or readable lines."""
    import structlog

    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    return shared, renderer


def _configure_structlog(level: str, as_json: bool, stream: TextIO) -> None:
    import structlog

    shared, renderer = _processors(as_json)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_secrets, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        # One write per line (message and newline together): several processes share stderr.
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def _library_formatter(as_json: bool) -> logging.Formatter:
    """The formatter of the standard library's lines: the same processors and renderer."""
    import structlog

    shared, renderer = _processors(as_json)
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    )


def _apply_pending() -> None:
    """Applies the configuration configure_logging deferred (once), unless structlog was
    configured otherwise since (a test's own configuration, say)."""
    global _pending
    if _pending is None:
        return
    with _pending_lock:
        pending, _pending = _pending, None
        if pending is not None:
            import structlog

            if not structlog.is_configured():
                pending()


class _DeferredFormatter(logging.Formatter):
    """Builds the structlog formatter when the first library line is written."""

    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self._as_json = as_json
        self._real: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._real is None:
            _apply_pending()
            self._real = _library_formatter(self._as_json)
        return self._real.format(record)


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Sets up structlog and the standard library's logging to write to standard error.

    When structlog is not imported yet its configuration is applied with the first line.
    """
    global _pending
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    configure = partial(_configure_structlog, level, as_json, sys.stderr)
    # Libraries (paramiko, uvicorn, watchdog) log through the standard library.
    handler = logging.StreamHandler(sys.stderr)
    if "structlog" in sys.modules:
        with _pending_lock:
            _pending = None
            configure()
        handler.setFormatter(_library_formatter(as_json))
    else:
        with _pending_lock:
            _pending = configure
        handler.setFormatter(_DeferredFormatter(as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("paramiko", "alembic", "watchdog", "multipart"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class _Logger:
    """Stands in for a structlog logger until it is first used, then hands every call to it."""

    __slots__ = ("_name", "_logger")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        logger = self._logger
        if logger is None:
            _apply_pending()
            import structlog

            logger = self._logger = structlog.get_logger(self._name)
        return getattr(logger, attribute)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A structured logger; bind provider, session and file ids with ``.bind()``."""
    return _Logger(name)  # it answers every call the logger does

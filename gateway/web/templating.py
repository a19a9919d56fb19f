"""Jinja filters shared by the pages (times in the fund's time zone, sizes).

Autoescaping is on for every template (Jinja2Templates' default for .html), so names, XML
lines and applicant fields are always escaped; nothing here returns markup.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from jinja2 import Environment

from gateway.web.i18n import translate

#: internal process ids: ``host:pid:token`` (SFTP nodes) and ``host:pid:token:thread`` (claimants)
_WORKER_ID = re.compile(r"^(?P<host>[^:\s]+):(?P<pid>\d+):[0-9a-f]{8}(?::(?P<thread>[^:\s]+))?$")


def worker_label(value: object, lang: str) -> str:
    """An internal process id (``vm:14510:0bc9487e:2``) as a person can use it: the machine,
    the process number an operator finds in ``ps`` or ``systemctl status``, and the worker
    thread. Any other value is returned as it is."""
    text = "" if value is None else str(value)
    match = _WORKER_ID.match(text)
    if match is None:
        return text
    key = "worker.thread" if match["thread"] is not None else "worker.process"
    return translate(lang, key, host=match["host"], pid=match["pid"], thread=match["thread"] or "")


def install_filters(env: Environment, timezone: str) -> None:
    """Adds ``when``, ``size`` and ``duration`` to ``env``."""
    zone = ZoneInfo(timezone)

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    def size(value: int | None) -> str:
        if value is None:
            return "—"
        for unit in ("B", "KiB", "MiB", "GiB"):
            if value < 1024 or unit == "GiB":
                return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            value /= 1024
        return str(value)

    def duration(seconds: float | None) -> str:
        if seconds is None:
            return "—"
        if seconds < 1:
            return f"{seconds * 1000:.0f} ms"
        if seconds < 120:
            return f"{seconds:.1f} s"
        return f"{seconds / 60:.1f} min"

    env.filters.update(when=when, size=size, duration=duration)


def install_labels(env: Environment) -> None:
    """Adds ``kind_label``, ``status_label`` and ``outcome_label`` (labels of the intake enums)."""
    from gateway.intake.requirements import DocumentKind
    from gateway.intake.status import Outcome, Status

    def labeller(enum):  # noqa: ANN001, ANN202
        def label(value: str | None, lang: str) -> str:
            try:
                member = enum(value)
            except ValueError:
                return value or "—"
            return member.label_fr if lang == "fr" else member.label_en
        return label

    env.globals.update(worker_label=worker_label)
    env.globals.update(kind_label=labeller(DocumentKind), status_label=labeller(Status),
                       outcome_label=labeller(Outcome))

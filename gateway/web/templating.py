"""Jinja filters shared by the pages (times in the fund's time zone, sizes).

Autoescaping is on for every template (Jinja2Templates' default for .html), so names, XML
lines and applicant fields are always escaped; nothing here returns markup.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from gateway import texts
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

    def size(value: float | None) -> str:
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


def install_gettext(env: Environment) -> None:
    """Turns on Jinja2's i18n extension over the gateway's catalogues.

    ``_("files.status")`` (and ``gettext``) give the text in the page's ``lang``; keyword
    arguments fill ``{name}`` fields. ``t`` in a page's context is the same lookup, kept for
    the pages written before the extension.
    """
    env.add_extension("jinja2.ext.i18n")

    @pass_context
    def gettext(context: Context, msgid: str, **values: object) -> str:
        from gateway.web.i18n import translate

        return translate(context.get("lang") or texts.DEFAULT, msgid, **values)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **values: object) -> str:
        return gettext(context, singular if n == 1 else plural, n=n, **values)

    # added to the Environment by the jinja2.ext.i18n extension, so not on its class
    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]


def actor_label(actor: str | None, lang: str) -> str:
    """Who did something, as a person reads it: ``staff:jdupont`` -> "staff jdupont"."""
    if not actor:
        return "—"
    kind, _, who = actor.partition(":")
    msgid = f"actor.{kind}"
    if not texts.has(msgid):
        return actor
    return texts.text(lang, msgid, who=who) if who else texts.gettext(lang, msgid)


#: which labels an audit detail's value takes, by its key (the codes the intake records there)
_DETAIL_GROUPS = {
    "from_status": ("appstatus",),
    "to_status": ("appstatus",),
    "status": ("appstatus", "filestatus"),
    "outcome": ("outcome",),
    "reason": ("reasonlabel",),
    "verdict": ("verdict",),
    "kind": ("kind",),
    "suggested": ("kind",),
    "severity": ("severity",),
}


def detail_label(key: str, value: object, lang: str) -> str:
    """An audit detail's value as a word when it is a code with a label (``to_status=TRANSMISE``
    -> "Submitted"); other values as they are."""
    for group in _DETAIL_GROUPS.get(key, ()):
        if texts.has(f"{group}.{value}"):
            return texts.gettext(lang, f"{group}.{value}")
    return "—" if value is None else str(value)


def install_labels(env: Environment) -> None:
    """Adds the label helpers: ``label(group, code, lang)`` for any coded value (file status,
    severity, reason...), ``kind_label``, ``status_label``, ``outcome_label`` (the intake
    enums) and ``actor_label``. Codes show as words in both languages; only error-code columns
    show codes."""

    def labeller(group: str) -> Callable[[str | None, str], str]:
        def label(value: str | None, lang: str) -> str:
            return texts.label(lang, group, value)

        return label

    def label(group: str, value: str | None, lang: str) -> str:
        return texts.label(lang, group, value)

    env.globals.update(
        kind_label=labeller("kind"),
        status_label=labeller("appstatus"),
        outcome_label=labeller("outcome"),
        label=label,
        actor_label=actor_label,
        detail_label=detail_label,
        worker_label=worker_label,
    )

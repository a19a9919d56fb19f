"""French and English for every page: the gettext catalogues, the language chosen per request.

The language is the ``lang`` cookie when set (the switch in the page header), else the best
match in ``Accept-Language``, else French (the fund's working language). Texts come from
:mod:`gateway.texts`; missing keys show the key itself, so a gap is visible rather than silent.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from gateway import texts
from gateway.web.catalogue import MESSAGES

LANGUAGES = texts.LANGUAGES
DEFAULT = texts.DEFAULT
COOKIE = "lang"


def negotiate(accept_language: str) -> str | None:
    """The first of our languages in an ``Accept-Language`` header, by quality."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def language_of(request: Request) -> str:
    """The language of this request's pages."""
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    return negotiate(request.headers.get("accept-language", "")) or DEFAULT


def translate(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` placeholders filled."""
    if texts.has(key):
        return texts.text(lang, key, **values)
    entry = MESSAGES.get(key)  # written against the old store, not yet adopted (scripts/texts update)
    if entry is None:
        return key
    text = entry[0] if lang == "fr" else entry[1]
    return text.format(**values) if values else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to ``lang``, as templates use it."""
    return lambda key, **values: translate(lang, key, **values)

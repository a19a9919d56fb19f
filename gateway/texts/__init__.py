"""Every user-visible text, in French and English: one gettext domain, ``gateway``.

The catalogues are ``locale/<lang>/LC_MESSAGES/gateway.po`` beside this module. Message ids
are stable keys (``files.status``, ``finding.ENT-004``, ``reason.jpeg_refuse``), not French
sentences: the same id names the text in both languages, so a test can check that each id has
both, and a reworded sentence keeps its id. Placeholders are ``str.format`` fields
(``{limit}``), filled by :func:`text`.

The ``.po`` files are read and compiled in memory on first use (Babel), so a clean clone, an
editable install and an installed package need no compile step; ``scripts/texts`` extracts,
adopts and checks them (see docs/texts.md).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.support import Translations

DOMAIN = "gateway"
LANGUAGES = ("fr", "en")
#: the fund's working language, used for any other language asked for
DEFAULT = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"


def po_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(lang: str) -> tuple[Translations, frozenset[str]]:
    """Reads and compiles the ``.po`` file of ``lang``: its translations and its translated ids.

    Fuzzy and empty entries are left out, as ``msgfmt`` leaves them out of a ``.mo`` file.
    """
    # Babel is imported on first use: a command that shows no text (``gateway validate`` of a
    # file) does not pay for its import
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    # the domain's messages have no plural forms: every id is a string
    ids = frozenset(m.id for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy)
    return Translations(compiled, domain=DOMAIN), ids


@functools.cache
def _loaded(lang: str) -> tuple[Translations, frozenset[str]]:
    return compile_po(lang if lang in LANGUAGES else DEFAULT)


def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (French for an unknown language), read once."""
    return _loaded(lang)[0]


def has(msgid: str) -> bool:
    """True when ``msgid`` is translated in the catalogues (checked in French, the reference)."""
    return msgid in _loaded(DEFAULT)[1]


def gettext(lang: str, msgid: str) -> str:
    """The text of ``msgid`` in ``lang``, unformatted; the id itself when it is missing, so a
    gap shows rather than hides."""
    return translations(lang).gettext(msgid)


def text(lang: str, msgid: str, /, **values: object) -> str:
    """The text of ``msgid`` in ``lang`` with its ``{name}`` fields filled from ``values``."""
    template = gettext(lang, msgid)
    return template.format(**values) if values else template


def both(msgid: str, /, **values: object) -> tuple[str, str]:
    """``(french, english)`` for ``msgid``, as responses, mails and reports carry both."""
    return text("fr", msgid, **values), text("en", msgid, **values)


def label(lang: str, group: str, code: object, *, default: str | None = None) -> str:
    """The label of ``code`` in ``group`` (``label("en", "filestatus", "REJETE")``).

    Codes without a label show as themselves (or ``default``), so that an unknown value from
    an old row still shows something.
    """
    if code is None or code == "":
        return default if default is not None else "—"
    msgid = f"{group}.{code}"
    return gettext(lang, msgid) if has(msgid) else (default if default is not None else str(code))

"""Keeps the ``.po`` files whole: ``python -m gateway.texts.tool check|update`` (``scripts/texts``).

``check`` lists every problem: an id in one language and not the other, an empty or fuzzy
translation, a catalogue that does not compile, an id written in the code (``t("x.y")``,
``text(lang, "x.y")``, ``both("x.y")``, ``_("x.y")`` in templates) that no catalogue has, and
texts still held in an old store. ``update`` first adopts texts written against the old stores
(a ``MESSAGES`` entry, an ``Entry`` with its own French and English, a ``REASONS``/``FLAGS``
message), then adds every id the code names and no catalogue has, with an empty translation
that ``check`` reports until someone writes it.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from gateway.texts import DOMAIN, LANGUAGES, compile_po, po_path

PACKAGE = Path(__file__).resolve().parent.parent
#: the functions whose string argument is a message id, and which argument it is (Babel's spec)
KEYWORDS = {"t": (1,), "_": (1,), "gettext": (2,), "text": (2,), "both": (1,), "translate": (2,)}
#: what an id looks like; other literal arguments of ``t``/``text`` (formats, paths) are not ids
_ID = re.compile(r"^[a-z][a-z_]*(\.[A-Za-z0-9_-]+)+$")
_HEADER = "# Texts of the gateway, one domain ({domain}); ids are keys. Edit the texts, then run scripts/texts check."


def new_catalog(lang: str) -> Catalog:
    """An empty catalogue of ``lang`` with the project's header."""
    return Catalog(
        locale=lang,
        domain=DOMAIN,
        project="gateway",
        version="1",
        charset="utf-8",
        header_comment=_HEADER.format(domain=DOMAIN),
        fuzzy=False,
        msgid_bugs_address="",
        last_translator="",
        language_team="",
    )


def load(lang: str) -> Catalog:
    """The ``.po`` file of ``lang`` as a Babel catalogue."""
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def save(lang: str, catalog: Catalog) -> None:
    """Writes ``catalog`` as the ``.po`` file of ``lang``, in id order of first addition."""
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=False, omit_header=False, include_previous=False)


def code_ids() -> set[str]:
    """The message ids written literally in the package's Python code and templates."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    # Babel warns about every f-string passed to a keyword (``t`` is a common name); not ids anyway
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, options, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
        ):
            for candidate in message if isinstance(message, tuple) else (message,):
                if isinstance(candidate, str) and _ID.match(candidate):
                    found.add(candidate)
    return found


def legacy_entries() -> Iterator[tuple[str, str, str, str]]:
    """``(msgid, french, english, where)`` for texts still written in an old store's shape."""
    from gateway.exchange.checks.messages import CATALOGUE
    from gateway.intake.documents.messages import LEGACY_FLAGS, LEGACY_REASONS
    from gateway.web.catalogue import MESSAGES

    for key, (fr, en) in MESSAGES.items():
        yield key, fr, en, "gateway/web/catalogue.py MESSAGES"
    for code, entry in CATALOGUE.items():
        if entry.fr or entry.en:
            yield f"finding.{code}", entry.fr, entry.en, "gateway/exchange/checks/messages.py CATALOGUE"
    for reason, message in LEGACY_REASONS.items():
        yield f"reason.{reason}", message.fr, message.en, "gateway/intake/documents/messages.py LEGACY_REASONS"
    for flag, message in LEGACY_FLAGS.items():
        yield f"flag.{flag}", message.fr, message.en, "gateway/intake/documents/messages.py LEGACY_FLAGS"


def problems() -> list[str]:
    """Everything that keeps the catalogues from being whole, one sentence each."""
    found: list[str] = []
    catalogs = {lang: load(lang) for lang in LANGUAGES}
    ids = {lang: {m.id for m in catalog if m.id} for lang, catalog in catalogs.items()}
    for lang, catalog in catalogs.items():
        for other in LANGUAGES:
            for msgid in sorted(ids[other] - ids[lang]):
                found.append(f"{msgid}: in {other} but not in {lang}")
        for message in catalog:
            if not message.id:
                continue
            if not message.string:
                found.append(f"{message.id}: no {lang} text")
            elif message.fuzzy:
                found.append(f"{message.id}: the {lang} text is marked fuzzy")
        try:
            compile_po(lang)
        except Exception as exc:  # noqa: BLE001 - any failure to compile is the finding
            found.append(f"{lang}: the catalogue does not compile: {exc}")
    for msgid in sorted(code_ids() - ids["fr"]):
        found.append(f"{msgid}: named in the code, in no catalogue")
    for msgid, _fr, _en, where in legacy_entries():
        found.append(f"{msgid}: still in {where}; run scripts/texts update, then remove it there")
    return found


def update() -> list[str]:
    """Adopts old-store texts and adds ids named in the code; returns what it did."""
    catalogs = {lang: load(lang) for lang in LANGUAGES}
    done: list[str] = []
    for msgid, fr, en, where in legacy_entries():
        for lang, string in (("fr", fr), ("en", en)):
            existing = catalogs[lang].get(msgid)
            if existing is None or not existing.string:
                catalogs[lang].add(msgid, string, flags=["python-brace-format"] if "{" in string else [])
            elif existing.string != string:
                done.append(f"{msgid}: {lang} text differs from {where}; the catalogue's is kept")
        done.append(f"{msgid}: adopted from {where}")
    for msgid in sorted(code_ids()):
        for lang, catalog in catalogs.items():
            if catalog.get(msgid) is None:
                catalog.add(msgid, "")
                done.append(f"{msgid}: added to {lang} without a text; write it in {po_path(lang)}")
    for lang, catalog in catalogs.items():
        save(lang, catalog)
    return done


def main(argv: list[str] | None = None) -> int:
    """``check`` (exit 1 on any problem) or ``update``."""
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command == "update":
        for line in update():
            print(line)
    elif command != "check":
        print("usage: scripts/texts [check|update]", file=sys.stderr)
        return 2
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    print(f"texts: {len(found)} problem(s)" if found else "texts: every id has both languages; catalogues compile")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Active content and embedded files in the raw structure text (the pre-scan's view).

``pdf_contenu_actif`` (spec/intake.md section 2): JavaScript, a launch action, or an action
that sends data or opens another document. This module holds what counts as such, and two
searches that do not depend on how a reader walks the file:

- :func:`scan_structure` reads the pre-scan's structure text (every object outside streams,
  and decoded object streams; strings and comments removed by PDF's lexical rules, name
  escapes such as ``/J#61vaScript`` decoded), so an object nothing refers to is found too;
- :func:`walk_object_streams` asks pypdf for the objects inside object streams the pre-scan
  could not decode (encrypted files, filters it does not decode). Names are never encrypted,
  so every other object of an encrypted file is read in the raw text like any other.

:mod:`.actions` then asks the readers themselves (pypdf's object tree, pdfium), whatever this
search found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

#: action types (``/S``) that run code, start a program, send data or open another document
ACTIVE_ACTIONS: dict[str, str] = {
    "/JavaScript": "JavaScript",
    "/Launch": "launch action",
    "/SubmitForm": "form submission",
    "/ImportData": "data import",
    "/GoToR": "link to another document",
    "/GoToE": "link to an embedded document",
}
#: keys whose presence is JavaScript wherever they are (an action's /JS, a /Names entry)
JAVASCRIPT_KEYS = frozenset({"/JS", "/JavaScript"})
#: keys and values that mean an embedded file (the name tree, a file specification's /EF)
EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EmbeddedFile", "/EF"})
EMBEDDED_TYPES = frozenset({"/EmbeddedFile"})

# A name token ends at white space or a delimiter.
_END = rb"(?=[\s/\[\]<>(){}%]|\Z)"
_ACTIVE_NAME = re.compile(rb"/(JavaScript|JS|Launch|SubmitForm|ImportData|GoToR|GoToE)" + _END)
_EMBEDDED = re.compile(rb"/(?:EmbeddedFiles?|EF)" + _END)
_WHAT = {b"JS": "JavaScript", **{name[1:].encode(): what for name, what in ACTIVE_ACTIONS.items()}}


@dataclass(frozen=True)
class ActiveContent:
    """What was found: kinds of active content (``JavaScript``, ``launch action`` ...), attachments."""

    kinds: frozenset[str] = frozenset()
    embedded_files: bool = False

    @property
    def active(self) -> bool:
        """True when the file must be refused (pdf_contenu_actif)."""
        return bool(self.kinds)

    @property
    def javascript(self) -> bool:
        """JavaScript anywhere (an action, the /Names tree, an XFA script)."""
        return "JavaScript" in self.kinds or "XFA script" in self.kinds

    @property
    def launch(self) -> bool:
        """A launch action."""
        return "launch action" in self.kinds

    def describe(self) -> str:
        """The kinds found, for the refusal's detail."""
        return ", ".join(sorted(self.kinds))

    def __or__(self, other: ActiveContent) -> ActiveContent:
        return ActiveContent(self.kinds | other.kinds, self.embedded_files or other.embedded_files)


def classify(obj: DictionaryObject) -> ActiveContent:
    """What one dictionary holds by itself (its own keys and /S, /Type, /Subtype values)."""
    kinds: set[str] = set()
    embedded = False
    for key in obj:
        if key in JAVASCRIPT_KEYS:
            kinds.add("JavaScript")
        elif key in EMBEDDED_KEYS:
            embedded = True
    for key in ("/S", "/Type", "/Subtype"):
        value = obj.get(key)
        if isinstance(value, NameObject):
            if key == "/S" and value in ACTIVE_ACTIONS:
                kinds.add(ACTIVE_ACTIONS[value])
            embedded = embedded or value in EMBEDDED_TYPES
    return ActiveContent(frozenset(kinds), embedded)


def scan_structure(structure: bytes) -> ActiveContent:
    """Searches the pre-scan's structure text for the names that carry active content."""
    kinds = frozenset(_WHAT[m[1]] for m in _ACTIVE_NAME.finditer(structure))
    return ActiveContent(kinds, bool(_EMBEDDED.search(structure)))


def walk_object_streams(reader: PdfReader, *, max_objects: int, max_depth: int) -> ActiveContent:
    """Looks at every object pypdf reads out of object streams the pre-scan could not decode.

    Objects outside object streams need no walk: names are never encrypted (ISO 32000 7.6.1),
    so the raw structure text shows them even in an encrypted file. Raises
    :class:`DocumentRefused` (pdf_trop_complexe) when there are more than ``max_objects``.
    """
    numbers = list(reader.xref_objStm)
    if len(numbers) > max_objects:
        raise DocumentRefused(Reason.PDF_TROP_COMPLEXE, f"{len(numbers)} objects in object streams to read")
    found = ActiveContent()
    budget = max_objects * 8
    for num in numbers:
        try:
            obj = reader.get_object(IndirectObject(num, 0, reader))
        except Exception:  # noqa: BLE001 - one unreadable object does not hide the others
            continue
        stack = [(obj, 0)]
        while stack and budget > 0:
            item, depth = stack.pop()
            budget -= 1
            if depth > max_depth:
                continue
            if isinstance(item, DictionaryObject):
                found = found | classify(item)
                stack.extend((v, depth + 1) for v in item.values() if not isinstance(v, IndirectObject))
            elif isinstance(item, ArrayObject):
                stack.extend((v, depth + 1) for v in item if not isinstance(v, IndirectObject))
    return found

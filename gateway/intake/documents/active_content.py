"""Active content and embedded files: JavaScript, launch actions, attachments.

Two searches, one for each way a PDF can hide them:

- :func:`scan_structure` reads the pre-scan's structure text (every object outside streams,
  and decoded object streams, strings removed, name escapes such as ``/J#61vaScript``
  decoded), so an object no page refers to is found too;
- :func:`walk_object_streams` asks pypdf for the objects inside object streams the pre-scan
  could not decode (encrypted files, filters it does not decode). Names are never encrypted,
  so every other object of an encrypted file is read in the raw text like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

# A name token ends at white space or a delimiter.
_END = rb"(?=[\s/\[\]<>(){}%]|\Z)"
_JAVASCRIPT = re.compile(rb"/(?:JavaScript|JS)" + _END)
_LAUNCH = re.compile(rb"/Launch" + _END)
_EMBEDDED = re.compile(rb"/(?:EmbeddedFiles?)" + _END)

_JS_NAMES = frozenset({"/JavaScript", "/JS"})
_EMBEDDED_NAMES = frozenset({"/EmbeddedFile", "/EmbeddedFiles"})


@dataclass(frozen=True)
class ActiveContent:
    """What was found: JavaScript, a launch action, embedded files."""

    javascript: bool = False
    launch: bool = False
    embedded_files: bool = False

    @property
    def active(self) -> bool:
        """True when the file must be refused (pdf_contenu_actif)."""
        return self.javascript or self.launch

    def __or__(self, other: ActiveContent) -> ActiveContent:
        return ActiveContent(self.javascript or other.javascript, self.launch or other.launch,
                             self.embedded_files or other.embedded_files)


def scan_structure(structure: bytes) -> ActiveContent:
    """Searches the pre-scan's structure text for the names that carry active content."""
    return ActiveContent(
        javascript=bool(_JAVASCRIPT.search(structure)),
        launch=bool(_LAUNCH.search(structure)),
        embedded_files=bool(_EMBEDDED.search(structure)),
    )


def walk_object_streams(reader: PdfReader, *, max_objects: int, max_depth: int) -> ActiveContent:
    """Looks at every object pypdf reads out of object streams the pre-scan could not decode.

    Objects outside object streams need no walk: names are never encrypted (ISO 32000 7.6.1),
    so the raw structure text shows them even in an encrypted file. Raises
    :class:`DocumentRefused` (pdf_trop_complexe) when there are more than ``max_objects``.
    """
    numbers = list(reader.xref_objStm)
    if len(numbers) > max_objects:
        raise DocumentRefused(Reason.PDF_TROP_COMPLEXE, f"{len(numbers)} objects in object streams to read")
    found = {"js": False, "launch": False, "embedded": False}
    budget = [max_objects * 8]

    def visit(obj: object, depth: int) -> None:
        budget[0] -= 1
        if depth > max_depth or budget[0] < 0:
            return
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _JS_NAMES:
                    found["js"] = True
                elif key in _EMBEDDED_NAMES:
                    found["embedded"] = True
                if key in ("/S", "/Type") and isinstance(value, NameObject):
                    found["js"] |= value in _JS_NAMES
                    found["launch"] |= value == "/Launch"
                    found["embedded"] |= value == "/EmbeddedFile"
                if not isinstance(value, IndirectObject):
                    visit(value, depth + 1)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                if not isinstance(value, IndirectObject):
                    visit(value, depth + 1)

    for num in numbers:
        try:
            obj = reader.get_object(IndirectObject(num, 0, reader))
        except Exception:  # noqa: BLE001 - one unreadable object does not hide the others
            continue
        visit(obj, 0)
    return ActiveContent(found["js"], found["launch"], found["embedded"])

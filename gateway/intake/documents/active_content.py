"""Active content and embedded files: JavaScript, launch actions, attachments.

Two searches, one for each way a PDF can hide them:

- :func:`scan_structure` reads the pre-scan's structure text (every object outside streams,
  and decoded object streams, strings removed, name escapes such as ``/J#61vaScript``
  decoded), so an object no page refers to is found too;
- :func:`walk_objects` asks pypdf for every object, for files whose objects the pre-scan could
  not read (encrypted files, object streams with filters it does not decode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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


def walk_objects(reader: PdfReader, *, max_objects: int, max_depth: int) -> ActiveContent:
    """Looks at every object pypdf can reach through the cross-reference table."""
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
                if key == "/S" and isinstance(value, NameObject):
                    found["js"] |= value in _JS_NAMES
                    found["launch"] |= value == "/Launch"
                if key == "/Type" and value == "/EmbeddedFile":
                    found["embedded"] = True
                if not isinstance(value, IndirectObject):
                    visit(value, depth + 1)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                if not isinstance(value, IndirectObject):
                    visit(value, depth + 1)

    numbers: list[tuple[int, int]] = [(num, gen) for gen, table in reader.xref.items() for num in table]
    numbers += [(num, 0) for num in reader.xref_objStm]
    for num, gen in numbers[:max_objects]:
        try:
            obj = reader.get_object(IndirectObject(num, gen, reader))
        except Exception:  # noqa: BLE001 - one unreadable object does not hide the others
            continue
        if hasattr(obj, "get_object"):
            visit(obj, 0)
    return ActiveContent(found["js"], found["launch"], found["embedded"])

"""Active content as the readers see it: pypdf's object tree and pdfium's document JavaScript.

The raw search (:mod:`.active_content`) reads bytes by PDF's lexical rules; a reader follows
the cross-reference table instead, and a file can make the two disagree (an object stored
inside another stream's data, a string that runs over an object's end). So after the raw
search, the readers are asked too, and anything either finds refuses the file:

- pypdf: every object reachable from the catalog, which covers ``/OpenAction``, ``/AA`` at
  every level (catalog, pages, annotations, form fields), annotation and field actions and
  their ``/Next`` chains, bookmarks, the ``/Names`` JavaScript tree and embedded files; and
  the AcroForm's XFA packets, read for ``<script>``, ``<submit>`` and ``<execute>``;
- pdfium: its count of document-level JavaScript actions, and of attachments.

Runs in a worker process (under its limits), after the PDF was opened.
"""

from __future__ import annotations

import re

from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from gateway.intake.documents.active_content import ActiveContent, classify
from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

# XFA elements that run code or send data: <script>, <submit>, <execute> (any namespace prefix).
_XFA_ACTIVE = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?(script|submit|execute)(?![\w.:-])", re.IGNORECASE)
_LIMITS = (LimitReachedError, RecursionError, MemoryError)


def _resolve(value: object) -> object | None:
    try:
        return value.get_object() if isinstance(value, IndirectObject) else value
    except _LIMITS:
        raise
    except Exception:  # noqa: BLE001 - a reader skips an object it cannot read; so do we
        return None


def xfa_text(xfa: object) -> bytes:
    """The XFA packets joined (a script's tag may be split between two packets), as UTF-8."""
    xfa = _resolve(xfa)
    streams: list[object] = []
    if isinstance(xfa, StreamObject):
        streams = [xfa]
    elif isinstance(xfa, ArrayObject):
        streams = [_resolve(item) for item in xfa[1::2]]
    parts = []
    for stream in streams:
        if isinstance(stream, StreamObject):
            try:
                parts.append(stream.get_data())
            except _LIMITS:
                raise
            except Exception:  # noqa: BLE001 - an unreadable packet is not read by a viewer either
                continue
    text = b"".join(parts)
    if text[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = text.decode("utf-16", errors="replace").encode()
    return text


def xfa_active(xfa: object) -> ActiveContent:
    """``XFA script`` when the XFA packets hold a script, a submission or an execution."""
    found = _XFA_ACTIVE.search(xfa_text(xfa))
    return ActiveContent(frozenset({"XFA script"}) if found else frozenset())


def reader_active_content(reader: PdfReader, *, max_visits: int) -> ActiveContent:
    """Walks every object reachable from the trailer's /Root; refuses (pdf_trop_complexe) past ``max_visits``."""
    found = ActiveContent()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer.get("/Root")]
    visits = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = _resolve(item)
        visits += 1
        if visits > max_visits:
            raise DocumentRefused(
                Reason.PDF_TROP_COMPLEXE, f"more than {max_visits} objects reachable", limit=max_visits
            )
        if isinstance(item, DictionaryObject):
            found = found | classify(item)
            for key, value in item.items():
                if key == "/XFA":
                    found = found | xfa_active(value)
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def pdfium_active_content(data: bytes) -> ActiveContent:
    """pdfium's own view: document JavaScript actions and attachments (nothing when it cannot open the file)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return ActiveContent()
    try:
        scripts = pdfium_c.FPDFDoc_GetJavaScriptActionCount(document.raw)
        attachments = pdfium_c.FPDFDoc_GetAttachmentCount(document.raw)
    finally:
        document.close()
    return ActiveContent(frozenset({"JavaScript"}) if scripts > 0 else frozenset(), attachments > 0)

"""Reading request XML safely: no DTD, no entities, no network, bounded, UTF-8 only.

:func:`prolog_problem` reads the prolog before any parser does (encoding and DTD: XML-001
and XML-002, so a DTD is never even parsed), chunk by chunk, however long its comments are;
:func:`dtd_problem` is the second line, asked at the pass's first element; :func:`iter_top_level` streams the
children of the root element with lxml configured defensively; :func:`syntax_problem` turns
lxml's error into the XML-001 / XML-003 it stands for, and :func:`limits_problem` applies the
bounds of XML-003 to each element as it passes: nesting deeper than 256 elements, a text
node or attribute value over 10 MiB. (libxml2's own text bound, 10,000,000 bytes, is a little
lower than the spec's, so the parser runs in its "huge" mode, whose bounds are far above
ours, and these checks are exact.)

Line numbers: libxml2 keeps element lines in 16 bits and, beyond line 65535, derives an
element's line from the text node that follows it; :func:`line_of` undoes that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

from lxml import etree

READ_CHUNK = 1 << 16
#: bytes read at a time to find the root's start tag: the parser builds the whole of each chunk
#: fed to it, so a file's first READ_CHUNK would be parsed once more just to read its root
ROOT_CHUNK = 1 << 12
#: XML-003: deepest nesting allowed (the root is at depth 1)
MAX_DEPTH = 256
#: XML-003: longest text node or attribute value allowed, in bytes of UTF-8
MAX_TEXT_BYTES = 10 * 2**20
#: a root child is at depth 2: anything 255 levels below it is deeper than MAX_DEPTH
_TOO_DEEP = etree.XPath("/".join(["*"] * (MAX_DEPTH - 1)) + "[1]")
#: request files nest 4 levels below a root child at most: only deeper ones need _TOO_DEEP
_DEEPER_THAN_USUAL = etree.XPath("*/*/*/*/*[1]")
#: candidates for MAX_TEXT_BYTES: a UTF-8 character takes at most 4 bytes
_LONG_TEXT = etree.XPath("(descendant-or-self::*/text() | descendant-or-self::*/@*)[string-length(.) > $n]")
_BOMS = {b"\xef\xbb\xbf": "utf-8", b"\xfe\xff": "utf-16", b"\xff\xfe": "utf-16", b"\x00\x00\xfe\xff": "utf-32"}
_SPACE = b" \t\r\n"
_NAME = re.compile(rb"[A-Za-z]+")
#: longest value of the XML declaration kept to be judged (a real one is "UTF-8"; "1.0")
MAX_DECLARATION_VALUE = 256


@dataclass(frozen=True)
class XmlProblem:
    """Why a file is not acceptable XML: code (XML-001/002/003), where, and libxml2's words."""

    code: str
    detail: str
    line: int | None = None
    column: int | None = None


class _Prolog:
    """The bytes of a file before its root element, read chunk by chunk with their position.

    Holds at most one chunk and a few bytes more, whatever the length of what it skips, and
    counts lines and columns (in bytes, from 1) of what it has consumed.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._buffer = b""
        self._at = 0
        self._eof = False
        self.line = 1
        self._line_start = 0  # offset of the current line's start, relative to the buffer
        self._consumed = 0  # bytes dropped from the front of the buffer

    def _fill(self) -> bool:
        """Reads one more chunk; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._handle.read(READ_CHUNK)
        if not chunk:
            self._eof = True
            return False
        # Drop what is consumed, so the buffer never grows beyond a chunk and a tail.
        self._buffer = self._buffer[self._at :] + chunk
        self._consumed += self._at
        self._line_start -= self._at
        self._at = 0
        return True

    def available(self, count: int) -> bytes:
        """Up to ``count`` bytes from the current position, reading more if needed."""
        while len(self._buffer) - self._at < count and self._fill():
            pass
        return self._buffer[self._at : self._at + count]

    def startswith(self, token: bytes) -> bool:
        return self.available(len(token)) == token

    def advance(self, count: int) -> None:
        """Consumes ``count`` bytes (already available), counting the lines they end."""
        end = self._at + count
        newlines = self._buffer.count(b"\n", self._at, end)
        if newlines:
            self.line += newlines
            self._line_start = self._buffer.rfind(b"\n", self._at, end) + 1
        self._at = end

    def skip_space(self) -> None:
        while self.available(1):
            buffer, start = self._buffer, self._at
            end = start
            while end < len(buffer) and buffer[end] in _SPACE:
                end += 1
            self.advance(end - start)
            if end < len(buffer):
                return

    def skip_past(self, terminator: bytes) -> bool:
        """Consumes everything up to and including ``terminator``; False when the file ends first."""
        keep = len(terminator) - 1
        while True:
            found = self._buffer.find(terminator, self._at)
            if found >= 0:
                self.advance(found + len(terminator) - self._at)
                return True
            self.advance(max(0, len(self._buffer) - keep - self._at))
            if not self._fill():
                return False

    def read_until(self, stop: bytes, limit: int) -> tuple[bytes, bool]:
        """Consumes bytes up to one of ``stop`` (not included); keeps at most ``limit`` of them.

        Returns what was kept and whether a stop byte was reached before the end of the file.
        """
        kept = b""
        while True:
            buffer, start = self._buffer, self._at
            end = start
            while end < len(buffer) and buffer[end] not in stop:
                end += 1
            if len(kept) <= limit:
                kept += buffer[start : min(end, start + limit + 1 - len(kept))]
            self.advance(end - start)
            if end < len(buffer):
                return kept, True
            if not self._fill():
                return kept, False

    @property
    def column(self) -> int:
        return self._at - self._line_start + 1

    def restart_columns(self) -> None:
        """Counts columns from the current position (after a byte-order mark)."""
        self._line_start = self._at


def _declaration(prolog: _Prolog) -> XmlProblem | None:
    """XML-001 for an encoding other than UTF-8 in the XML declaration (``<?xml`` consumed).

    Reads the pseudo-attributes one by one, however much white space lies between them; leaves
    anything malformed to the parser (XML-001 in its words) and stops after ``?>``.
    """
    while True:
        prolog.skip_space()
        name = _NAME.match(prolog.available(16))
        if name is None:
            break
        prolog.advance(name.end())
        prolog.skip_space()
        if not prolog.startswith(b"="):
            break
        prolog.advance(1)
        prolog.skip_space()
        quote = prolog.available(1)
        if quote not in (b"'", b'"'):
            break
        prolog.advance(1)
        line, column = prolog.line, prolog.column
        value, closed = prolog.read_until(b"'\"", MAX_DECLARATION_VALUE)
        if not closed:
            return None
        prolog.advance(1)
        if name.group() == b"encoding" and value.decode("ascii", "replace").lower() != "utf-8":
            return XmlProblem(
                "XML-001",
                f"encoding {value.decode('ascii', 'replace')!r} is declared; only UTF-8 is accepted",
                line,
                column,
            )
    prolog.skip_past(b"?>")
    return None


def prolog_problem(handle: BinaryIO) -> XmlProblem | None:
    """XML-001 for a non-UTF-8 encoding, XML-002 for a DOCTYPE, from the file's prolog.

    Reads from ``handle`` (at the file's start) up to the first thing that is neither the XML
    declaration, a comment, a processing instruction nor white space, so a DOCTYPE is found
    wherever the prolog puts it, after any amount of comments; memory stays at one chunk.
    """
    prolog = _Prolog(handle)
    head = prolog.available(4)
    for bom, name in sorted(_BOMS.items(), key=lambda item: -len(item[0])):
        if head.startswith(bom):
            if name != "utf-8":
                return XmlProblem("XML-001", f"the file is encoded in {name.upper()}, not UTF-8", 1, 1)
            prolog.advance(len(bom))
            prolog.restart_columns()  # columns count from after the byte-order mark
            head = prolog.available(4)
            break
    if head[:4] in (b"\x00\x00\x00<", b"<\x00\x00\x00") or head[:2] in (b"\x00<", b"<\x00"):
        return XmlProblem("XML-001", "the file is encoded in UTF-16 or UTF-32, not UTF-8", 1, 1)
    start = prolog.available(6)
    if start[:5] == b"<?xml" and start[5:6] in (b" ", b"\t", b"\r", b"\n"):
        prolog.advance(5)
        problem = _declaration(prolog)
        if problem is not None:
            return problem
    while True:
        prolog.skip_space()
        if prolog.startswith(b"<!--"):
            prolog.advance(4)
            if not prolog.skip_past(b"-->"):
                return None
        elif prolog.startswith(b"<?"):
            prolog.advance(2)
            if not prolog.skip_past(b"?>"):
                return None
        elif prolog.startswith(b"<!DOCTYPE"):
            return XmlProblem("XML-002", "DOCTYPE declaration", prolog.line, prolog.column)
        else:
            return None


def dtd_problem(element: etree._Element) -> XmlProblem | None:
    """XML-002 when the parser met a DTD before ``element`` (a second line behind :func:`prolog_problem`)."""
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return XmlProblem("XML-002", "DOCTYPE declaration")
    return None


def syntax_problem(exc: etree.XMLSyntaxError) -> XmlProblem:
    """XML-003 when libxml2 stopped at one of its limits, else XML-001."""
    entry = exc.error_log.last_error if exc.error_log else None
    line, column = exc.position if exc.position else (exc.lineno, None)
    message = (entry.message if entry is not None else str(exc)).strip()
    limit = entry is not None and (entry.type_name == "ERR_RESOURCE_LIMIT" or "XML_PARSE_HUGE" in message)
    if (
        entry is not None
        and entry.type_name in {"ERR_ENTITY_BOUNDARY", "ERR_UNDECLARED_ENTITY"}
        and "DOCTYPE" in message
    ):
        return XmlProblem("XML-002", message, line or None, column or None)
    return XmlProblem("XML-003" if limit else "XML-001", message, line or None, column or None)


def _too_long(text: str | None) -> bool:
    return text is not None and len(text) > MAX_TEXT_BYTES // 4 and len(text.encode("utf-8")) > MAX_TEXT_BYTES


def limits_problem(element: etree._Element, *, texts: bool = True) -> XmlProblem | None:
    """XML-003 when a complete child of the root nests too deep or holds too long a text.

    ``texts`` False skips the text bound (a file smaller than it cannot break it).
    """
    deep = _TOO_DEEP(element) if _DEEPER_THAN_USUAL(element) else None
    if deep:
        return XmlProblem("XML-003", f"nesting deeper than {MAX_DEPTH} elements", line_of(deep[0]))
    if not texts:
        return None
    if _too_long(element.tail):
        return XmlProblem("XML-003", f"a text node over {MAX_TEXT_BYTES} bytes", line_of(element))
    for text in _LONG_TEXT(element, n=MAX_TEXT_BYTES // 4):
        if _too_long(str(text)):
            return XmlProblem(
                "XML-003", f"a text node or attribute value over {MAX_TEXT_BYTES} bytes", line_of(text.getparent())
            )
    return None


def element_limits_problem(element: etree._Element) -> XmlProblem | None:
    """XML-003 for one element met on its own (depth counted up to the root, its own texts)."""
    depth = 1 + sum(1 for _ in element.iterancestors())
    if depth > MAX_DEPTH:
        return XmlProblem("XML-003", f"nesting deeper than {MAX_DEPTH} elements", line_of(element))
    texts = [element.text, element.tail, *element.attrib.values()]
    if any(_too_long(t) for t in texts):
        return XmlProblem("XML-003", f"a text node or attribute value over {MAX_TEXT_BYTES} bytes", line_of(element))
    return None


def line_of(element: etree._Element) -> int | None:
    """The line an element starts on (corrects libxml2 beyond line 65535)."""
    line = element.sourceline
    if line is None or line < 65535:
        return line
    if element.text is not None:
        return line - element.text.count("\n")
    if len(element) == 0 and element.tail:
        return line - element.tail.count("\n")
    return line


class CountingReader:
    """A binary file that counts the bytes read from it (how much the parser has consumed)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.count += len(data)
        return data

    def close(self) -> None:
        self._handle.close()


#: what :func:`open_events` yields: ("end", element) pairs (a string: lxml's class is not subscriptable)
Events: TypeAlias = "etree.iterparse[tuple[str, etree._Element]]"


def open_events(source: Path | CountingReader, tags: tuple[str, ...] | None) -> Events:
    """lxml's iterparse on ``source`` for end events of ``tags`` (None: every element), defused and bounded.

    The parser reads :data:`READ_CHUNK` bytes at a time.
    """
    # types-lxml lacks iterparse's chunk_size (lxml 5.3 and later)
    events: Events = etree.iterparse(  # type: ignore[call-overload]
        str(source) if isinstance(source, Path) else source,
        chunk_size=READ_CHUNK,
        events=("end",),
        tag=tags,
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        dtd_validation=False,
        encoding=None,
    )
    return events


def read_root(path: Path) -> tuple[str, dict[str, str], int] | XmlProblem | None:
    """(Clark tag, attributes, line) of the root element, reading only up to its start tag.

    Returns the problem when the file breaks before that point, None when it has no element.
    """
    parser = etree.XMLPullParser(
        events=("start",), load_dtd=False, no_network=True, resolve_entities=False, huge_tree=True
    )
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(ROOT_CHUNK):
                parser.feed(chunk)
                for _, element in parser.read_events():
                    # start events are elements' only: the tag is a string
                    return str(element.tag), dict(element.attrib), line_of(element) or 1
            parser.close()
    except etree.XMLSyntaxError as exc:
        return syntax_problem(exc)
    return None


def iter_top_level(events: Events, *, every_depth: bool = False) -> Iterator[etree._Element]:
    """The root's children among the events' tags, each complete, in file order.

    Deeper elements with the same tags are skipped (they belong to a child) unless
    ``every_depth``. The caller clears or removes each element once done with it, so memory
    stays bounded.
    """
    for _, element in events:
        parent = element.getparent()
        if every_depth or (parent is not None and parent.getparent() is None):
            yield element

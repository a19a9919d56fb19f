"""PDF lexical rules (ISO 32000-1 7.2) for the raw passes: comments, strings, streams.

A reader decides what is a comment, a string and a stream by these rules, so the raw passes
do too, in the same order: ``%`` outside a string starts a comment that runs to the end of
the line (inside a string it is an ordinary character); a literal string runs to its
balanced ``)``, a backslash escaping the next byte; a hex string runs to ``>``; ``stream``
starts stream data only where it is a keyword of its own, never inside a comment or a
string. In content streams, inline image data (``BI`` ... ``ID`` data ``EI``) is skipped.

What is left (names, numbers, arrays, dictionaries, keywords) is the *text* the budgets and
the active-content search read: strings become ``()`` or ``<>`` (in content streams ``(n)``,
n the string's size in bytes), comments a space. Two
conservative exceptions keep text a reader might see: a string that runs past an ``endobj``
(a reader that reaches the next object through the cross-reference table never sees that
string), and a hex string holding anything but hex digits.

The loop jumps between candidate bytes found with ``bytes.find`` (memchr speed), so Python
runs once per string, comment, stream or dictionary, never once per byte; those steps are
budgeted by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_WHITE = b" \t\n\r\f\x00"
_DELIMITERS = b"()<>[]{}/%"
_STRING_RUN = re.compile(rb"(?:[^()\\]+|\\.)*", re.DOTALL)
_HEX_ONLY = re.compile(rb"[0-9A-Fa-f \t\n\r\f\x00]*")
_LINE_END = re.compile(rb"[^\r\n]*")
_STREAM_EOL = re.compile(rb"[ \t]*(?:\r\n|\n|\r)")
_ENDSTREAM_AT = re.compile(rb"\s*endstream")
_LENGTH = re.compile(rb"/Length(?![0-9A-Za-z#])\s*(\d+)(?:\s+(\d+)\s+R)?")
_INLINE_DATA_END = re.compile(rb"[\t\n\r\f\x00 ]EI(?=[\t\n\r\f\x00 ]|\Z)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class StepsExceeded(Exception):
    """More steps than the budget: the caller refuses the file as too complex."""


def unescape_names(text: bytes) -> bytes:
    """Decodes ``#xx`` escapes (``/J#61vaScript`` -> ``/JavaScript``); strings are gone by now."""
    if b"#" not in text:
        return text
    return _NAME_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)), text)


@dataclass
class Lexed:
    """The text outside strings, comments and stream data, and what was found on the way."""

    text: bytes
    #: streams: (dictionary text before ``stream``, names decoded; data start; data end)
    streams: list[tuple[bytes, int, int]] = field(default_factory=list)
    #: bytes inside literal and hex strings (glyphs a text operator may show)
    string_bytes: int = 0
    #: dictionaries of inline images (content streams only)
    inline_images: list[bytes] = field(default_factory=list)
    steps: int = 0


def _is_keyword_at(data: bytes, at: int, word: bytes) -> bool:
    """True when ``word`` at ``at`` is a token of its own (white space or a delimiter around it)."""
    before = data[at - 1] if at > 0 else 32
    after_at = at + len(word)
    after = data[after_at] if after_at < len(data) else 32
    return (before in _WHITE or before in _DELIMITERS) and (after in _WHITE or after in _DELIMITERS)


class _Cursors:
    """The next position of each needle at or after ``pos``, each found once (memchr speed)."""

    def __init__(self, data: bytes, needles: tuple[bytes, ...]) -> None:
        self.data = data
        self.needles = needles
        self.at = [-2] * len(needles)

    def next(self, pos: int) -> tuple[int, bytes]:
        best, best_needle = -1, b""
        for i, needle in enumerate(self.needles):
            at = self.at[i]
            if at != -1 and at < pos:
                at = self.at[i] = self.data.find(needle, pos)
            if at != -1 and (best == -1 or at < best):
                best, best_needle = at, needle
        return best, best_needle


class Lexer:
    """One pass over ``data`` by the rules above; raises StepsExceeded past ``max_steps``.

    ``streams``: the text is a file (or part of one), where ``stream`` starts data;
    ``content``: the text is a content stream, where ``BI`` starts an inline image;
    ``length_of(number, generation)`` resolves an indirect ``/Length`` (None: unknown).
    """

    def __init__(
        self,
        data: bytes,
        *,
        max_steps: int,
        streams: bool = False,
        content: bool = False,
        length_of: Callable[[int, int], int | None] | None = None,
    ) -> None:
        self.data = data
        self.max_steps = max_steps
        self.with_streams = streams
        self.content = content
        self.length_of = length_of
        needles = (b"(", b"%", b"<") + ((b"stream",) if streams else ()) + ((b"BI",) if content else ())
        self.cursors = _Cursors(data, needles)
        self.out = bytearray()
        self.result = Lexed(b"")
        self.segment_start = 0

    def step(self) -> None:
        self.result.steps += 1
        if self.result.steps > self.max_steps:
            raise StepsExceeded(self.result.steps)

    def run(self) -> Lexed:
        """Lexes the whole input."""
        data, out = self.data, self.out
        pos = 0
        while True:
            at, needle = self.cursors.next(pos)
            if at < 0:
                out += data[pos:]
                break
            out += data[pos:at]
            if needle == b"(":
                pos = self._string(at)
            elif needle == b"%":
                self.step()
                found = _LINE_END.match(data, at)
                pos = found.end() if found else at  # the pattern matches an empty run too
                out += b" "
            elif needle == b"<":
                pos = self._angle(at)
            elif needle == b"stream":
                pos = self._stream(at)
            else:
                pos = self._inline_image(at)
        self.result.text = bytes(out)
        return self.result

    def _string(self, at: int) -> int:
        data = self.data
        depth, i = 1, at + 1
        while depth:
            self.step()
            run = _STRING_RUN.match(data, i)
            i = run.end() if run else i  # the pattern matches an empty run too
            if i >= len(data) or data[i] not in b"()":
                # No closing parenthesis: a reader fails here; keep the rest as text.
                self.out += b"("
                return at + 1
            depth += 1 if data[i] == 0x28 else -1
            i += 1
        if data.find(b"endobj", at, i) >= 0:
            self.out += data[at:i]  # runs over an object's end: what follows may be read
        else:
            self._emit_string(i - at - 2)
        return i

    def _emit_string(self, size: int) -> None:
        # Content streams keep the size (glyphs a text operator may show): "(12)".
        self.out += b"(%d)" % size if self.content else b"()"
        self.result.string_bytes += size

    def _angle(self, at: int) -> int:
        data = self.data
        if data[at + 1 : at + 2] == b"<":
            self.step()
            self.out += b"<<"
            return at + 2
        self.step()
        end = data.find(b">", at + 1)
        if end < 0:
            self.out += b"<"
            return at + 1
        body = data[at + 1 : end]
        if _HEX_ONLY.fullmatch(body):
            if self.content:
                self._emit_string((len(body.translate(None, _WHITE)) + 1) // 2)
            else:
                self.out += b"<>"
                self.result.string_bytes += (len(body) + 1) // 2
        else:
            self.out += data[at : end + 1]
        return end + 1

    def _stream(self, at: int) -> int:
        data = self.data
        after = at + len(b"stream")
        if not _is_keyword_at(data, at, b"stream"):
            self.out += b"stream"  # "endstream", or a name such as /Upstream
            return after
        self.step()
        eol = _STREAM_EOL.match(data, after)
        start = eol.end() if eol else after
        head_at = max(self.out.rfind(b"obj", self.segment_start), self.segment_start, len(self.out) - 65536)
        head = unescape_names(bytes(self.out[head_at:]))
        end = self._stream_end(head, start)
        self.result.streams.append((head, start, end))
        self.out += b" "
        self.segment_start = len(self.out)
        return end

    def _stream_end(self, head: bytes, start: int) -> int:
        """Where the data ends: the declared /Length when ``endstream`` is there, else the next ``endstream``."""
        data = self.data
        length = _LENGTH.search(head)
        declared = None
        if length and length[2] is None:
            declared = int(length[1])
        elif length and self.length_of is not None:
            declared = self.length_of(int(length[1]), int(length[2]))
        if declared is not None and start + declared <= len(data) and _ENDSTREAM_AT.match(data, start + declared):
            return start + declared
        found = data.find(b"endstream", start)
        return len(data) if found < 0 else found

    def _inline_image(self, at: int) -> int:
        data = self.data
        after = at + 2
        if not _is_keyword_at(data, at, b"BI"):
            self.out += b"BI"
            return after
        self.step()
        data_at = data.find(b"ID", after)
        while data_at >= 0 and not _is_keyword_at(data, data_at, b"ID"):
            data_at = data.find(b"ID", data_at + 2)
        if data_at < 0:
            self.out += b"BI"
            return after
        self.result.inline_images.append(data[after:data_at])
        end = _INLINE_DATA_END.search(data, data_at + 3)
        self.out += b" BI ID EI "
        return len(data) if end is None else end.end()


def integer_objects(data: bytes) -> Callable[[int, int], int | None]:
    """A resolver of indirect integers (``12 0 obj 345 endobj``), indexed on first use.

    The search starts at the literal ``obj`` (fast); the object number is read just before it.
    """
    index: dict[tuple[int, int], int] | None = None
    body = re.compile(rb"obj\s*(\d{1,12})\s*endobj")
    header = re.compile(rb"(\d{1,10})\s+(\d{1,5})\s+\Z")

    def build() -> dict[tuple[int, int], int]:
        found: dict[tuple[int, int], int] = {}
        for m in body.finditer(data):
            number = header.search(data, max(0, m.start() - 24), m.start())
            if number:
                found[(int(number[1]), int(number[2]))] = int(m[1])
        return found

    def resolve(number: int, generation: int) -> int | None:
        nonlocal index
        if index is None:
            index = build()
        return index.get((number, generation))

    return resolve

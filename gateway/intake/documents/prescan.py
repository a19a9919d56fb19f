"""A pass over the raw bytes before any PDF reader sees them.

It measures what could make a reader spend unbounded memory or time and refuses the file
(``pdf_trop_complexe``) when a budget of :class:`~.limits.PdfLimits` is exceeded:

- object count: ``endobj`` markers, object-stream entries (``/N``) and declared ``/Size``;
- tokens outside streams (a reader parses them one by one, in Python);
- nesting depth of arrays and dictionaries, per object, outside streams and strings;
- decoded stream bytes: every FlateDecode (also after ASCIIHex/ASCII85) stream that is not an
  image is inflated incrementally, output discarded, against one byte budget for the file;
- images are not decoded (no check needs their pixels): their declared size is bounded.

It also hands on the structure text (everything outside streams, plus the decoded object
streams, with strings and comments removed by PDF's lexical rules (:mod:`.lexer`) and name
escapes such as ``#61`` decoded) for the active-content search. Everything here is C-speed
search and zlib work, linear in the file size; the Python loop runs once per string, comment,
stream or dictionary, at most ``max_structure_tokens`` times.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from gateway.intake.documents.lexer import Lexer, StepsExceeded, integer_objects, unescape_names
from gateway.intake.documents.limits import PdfLimits
from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()%]+)")
_NAME = re.compile(rb"/([^\s/\[\]<>()%{}]*)")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm(?![0-9A-Za-z])")
_OBJSTM_N = re.compile(rb"/N\s+(\d+)")
_SIZE = re.compile(rb"/Size\s+(\d+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image(?![0-9A-Za-z])")
# /Width 100 or /Width 12 0 R (an indirect integer, resolved)
_WIDTH = re.compile(rb"/Width\s*(\d+)(?:\s+(\d+)\s+R)?")
_HEIGHT = re.compile(rb"/Height\s*(\d+)(?:\s+(\d+)\s+R)?")
_KEEP_STRUCTURE = bytes(range(256)).translate(None, b"[]{}|")

# White space -> " ", delimiters that start a token -> "d", anything else -> "x".
_TOKEN_CLASSES = bytes(32 if c in b" \n\r\t\f\0" else 100 if c in b"/(<[%" else 120 for c in range(256))
_FLATE = {b"FlateDecode", b"Fl"}
_AHX = {b"ASCIIHexDecode", b"AHx"}
_A85 = {b"ASCII85Decode", b"A85"}
_OUT_CHUNK = 256 * 1024
_IN_CHUNK = 64 * 1024


@dataclass(frozen=True)
class PreScan:
    """What the raw pass found; ``structure`` is the text the active-content search reads."""

    objects: int
    streams: int
    decoded_bytes: int
    encrypted: bool
    #: some object stream could not be decoded here (encrypted, or a filter not decoded here)
    opaque_object_streams: bool
    structure: bytes


def too_complex(detail: str, **context: object) -> DocumentRefused:
    """The refusal every budget overrun raises."""
    return DocumentRefused(Reason.PDF_TROP_COMPLEXE, detail, **context)


class _Budget:
    """Decoded bytes so far, and how many of them are kept (object streams)."""

    def __init__(self, limits: PdfLimits) -> None:
        self.limit = limits.max_decompressed_bytes
        self.keep_limit = limits.max_object_stream_bytes
        self.ascii85_limit = limits.max_ascii85_bytes
        self.used = 0
        self.kept = 0
        self.ascii85_used = 0

    def keep(self, n: int) -> None:
        self.kept += n
        if self.kept > self.keep_limit:
            raise too_complex(f"object streams decode to more than {self.keep_limit} bytes", limit=self.keep_limit)

    def ascii85(self, size: int, largest_output: int) -> None:
        self.ascii85_used += size
        if self.ascii85_used > self.ascii85_limit:
            raise too_complex(f"more than {self.ascii85_limit} bytes of ASCII85", limit=self.ascii85_limit)
        if self.used + largest_output > self.limit:
            raise too_complex(f"ASCII85 data may decode to {largest_output} bytes", limit=self.limit)

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise too_complex(f"streams decode to more than {self.limit} bytes", limit=self.limit)


def _inflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """zlib, incrementally: never more than _OUT_CHUNK bytes of output at a time."""
    d = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while data and not d.eof:
                out = d.decompress(data, _OUT_CHUNK)
                if out:
                    yield out
                data = d.unconsumed_tail
            if d.eof:
                return
        while not d.eof:  # output still held inside zlib
            out = d.decompress(b"", _OUT_CHUNK)
            if not out:
                return
            yield out
    except zlib.error:
        return  # corrupt data: the reader decides later whether the file is readable


def _chunks(view: memoryview) -> Iterator[bytes]:
    for start in range(0, len(view), _IN_CHUNK):
        yield bytes(view[start : start + _IN_CHUNK])


def _filters(head: bytes) -> list[bytes]:
    found = _FILTER.search(head)
    if not found:
        return []
    return [unescape_names(n) for n in _NAME.findall(found[1])]


def _decode(view: memoryview, filters: list[bytes], budget: _Budget, keep: bool) -> tuple[bytes | None, bool]:
    """Decodes the filter chain under the budget; returns (kept output or None, fully decoded)."""
    data: Iterator[bytes] = _chunks(view)
    for i, name in enumerate(filters):
        if name in _FLATE:
            data = _inflate(data)
        elif name in _AHX and i == 0:
            raw = bytes(view).translate(None, b" \t\r\n\f\0").split(b">", 1)[0]
            try:
                data = iter([binascii.unhexlify(raw + b"0" * (len(raw) % 2))])
            except binascii.Error:
                return None, False
        elif name in _A85 and i == 0:
            raw = bytes(view).translate(None, b" \t\r\n\f\0")
            raw = raw[: raw.find(b"~>")] if b"~>" in raw else raw
            # "z" stands for four zero bytes: bound the output before decoding in one piece.
            budget.ascii85(len(raw), 4 * raw.count(b"z") + len(raw))
            try:
                data = iter([base64.a85decode(raw)])
            except ValueError:
                return None, False
        else:
            # Image codecs (DCT, JPX, CCITT, JBIG2) are never decoded by our reader; other
            # rare filters are left to pypdf's own output limits.
            return None, False
    kept: list[bytes] | None = [] if keep else None
    for out in data:
        budget.spend(len(out))
        if kept is not None:
            budget.keep(len(out))
            kept.append(out)
    return (b"".join(kept) if kept is not None else None), True


def check_depth(text: bytes, limits: PdfLimits) -> None:
    """Refuses when arrays/dictionaries nest deeper than the limit within one object."""
    skeleton = text.replace(b"endobj", b"|").replace(b"<<", b"{").replace(b">>", b"}")
    skeleton = skeleton.translate(None, _KEEP_STRUCTURE)
    openers = skeleton.count(b"[") + skeleton.count(b"{")
    if openers <= limits.max_depth:
        return
    steps = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
    for part in skeleton.split(b"|"):
        if part.count(b"[") + part.count(b"{") <= limits.max_depth:
            continue  # cannot nest deeper than it has openers
        deepest = max(accumulate((steps[c] for c in part), lambda a, b: max(0, a + b)), default=0)
        if deepest > limits.max_depth:
            raise too_complex(f"nesting depth over {limits.max_depth}", limit=limits.max_depth)


def _declared(found: re.Match[bytes] | None, integer: Callable[[int, int], int | None]) -> int | None:
    if found is None:
        return None
    if found[2] is None:
        return int(found[1])
    return integer(int(found[1]), int(found[2]))  # None when it lives in an object stream


def _check_image(head: bytes, limits: PdfLimits, integer: Callable[[int, int], int | None]) -> None:
    """An image is never decoded here; its declared size bounds what a viewer will allocate.

    Indirect sizes are resolved from the raw file; those it cannot resolve (inside object
    streams) are bounded by the reader's own pass (:mod:`.drawing`).
    """
    width, height = _declared(_WIDTH.search(head), integer), _declared(_HEIGHT.search(head), integer)
    if width is not None and height is not None and width * height > limits.max_image_pixels:
        raise too_complex(f"image of {width}x{height} pixels", limit=limits.max_image_pixels)


def count_tokens(text: bytes, limits: PdfLimits, before: int = 0) -> int:
    """An upper bound of the tokens a reader would parse in ``text`` (white space and delimiters).

    Counted at C speed before any regex work: a reader spends a few microseconds per token,
    so a file made of millions of tiny strings, comments or numbers is refused here.
    """
    classes = text.translate(_TOKEN_CLASSES)
    # A token starts at each delimiter and after each run of white space (a run counts once,
    # so padding costs nothing).
    tokens = before + classes.count(b"d") + classes.count(b" x")
    if tokens > limits.max_structure_tokens:
        raise too_complex(f"{tokens} tokens outside streams", limit=limits.max_structure_tokens)
    return tokens


def _lex(
    data: bytes,
    limits: PdfLimits,
    used: int,
    *,
    streams: bool = False,
    length_of: Callable[[int, int], int | None] | None = None,
) -> Lexer:
    lexer = Lexer(data, max_steps=limits.max_structure_tokens - used, streams=streams, length_of=length_of)
    try:
        lexer.run()
    except StepsExceeded:
        raise too_complex(
            f"more than {limits.max_structure_tokens} strings, comments, streams and dictionaries",
            limit=limits.max_structure_tokens,
        ) from None
    return lexer


def _clean(text: bytes, limits: PdfLimits) -> bytes:
    """Name escapes decoded (strings are gone); refuses a flood of escapes (one Python step each)."""
    escapes = text.count(b"#")
    if escapes > limits.max_name_escapes:
        raise too_complex(f"{escapes} name escapes", limit=limits.max_name_escapes)
    return unescape_names(text)


def prescan(data: bytes, limits: PdfLimits) -> PreScan:
    """Measures ``data`` against ``limits``; raises DocumentRefused(pdf_trop_complexe)."""
    objects = data.count(b"endobj")
    if objects > limits.max_objects:
        raise too_complex(f"{objects} objects", limit=limits.max_objects)
    streams = data.count(b"endstream")
    if streams > limits.max_objects:
        raise too_complex(f"{streams} streams", limit=limits.max_objects)
    integer = integer_objects(data)
    lexer = _lex(data, limits, 0, streams=True, length_of=integer)
    spans = lexer.result.streams
    if len(spans) > limits.max_objects:
        raise too_complex(f"more than {limits.max_objects} streams", limit=limits.max_objects)
    steps = lexer.result.steps
    structure = lexer.result.text
    tokens = count_tokens(structure, limits)
    structure = _clean(structure, limits)
    encrypted = b"/Encrypt" in structure

    view = memoryview(data)
    budget = _Budget(limits)
    object_stream_texts: list[bytes] = []
    opaque = False
    for head, start, end in spans:
        is_objstm = bool(_OBJSTM.search(head))
        if is_objstm:
            n = _OBJSTM_N.search(head)
            objects += int(n[1]) if n else 0
            if objects > limits.max_objects:
                raise too_complex(f"{objects} objects", limit=limits.max_objects)
        if _IMAGE.search(head):
            _check_image(head, limits, integer)
            continue  # images are decoded by viewers only, never by the checks
        if encrypted:
            # Encrypted streams decode only after decryption: pypdf's own limits apply there.
            opaque = opaque or is_objstm
            continue
        filters = _filters(head)
        if not filters and not is_objstm:
            continue  # stored as is: nothing to inflate
        kept, complete = _decode(view[start:end], filters, budget, keep=is_objstm)
        if is_objstm:
            if kept is None or not complete:
                opaque = True
            else:
                inner = _lex(kept, limits, steps)
                steps += inner.result.steps
                tokens = count_tokens(inner.result.text, limits, tokens)
                object_stream_texts.append(_clean(inner.result.text, limits))
    declared = [int(n) for n in _SIZE.findall(structure)]
    if declared and max(declared) > limits.max_objects:
        raise too_complex(f"declared /Size {max(declared)}", limit=limits.max_objects)

    structure = b"\nendobj\n".join([structure, *object_stream_texts])
    check_depth(structure, limits)
    return PreScan(
        objects=objects,
        streams=len(spans),
        decoded_bytes=budget.used,
        encrypted=encrypted,
        opaque_object_streams=opaque,
        structure=structure,
    )

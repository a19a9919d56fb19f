"""Application document checks (spec/intake.md section 2): PDF only, content decides.

The way of one file::

    name      names.sanitise_name      base name, NFC, no controls/bidi -> flag nom_assaini
    size      verdict.check_size       fichier_vide, fichier_trop_volumineux
    malware   malware.ClamdScanner     malware_detecte (when a clamd socket is configured)
    name      verdict.check_name_not_html  htm_refuse (name)
    --- in a worker process under memory, CPU-time and wall-time limits (content.py) ---
    sniff     sniff.sniff              htm_refuse (content), jpeg_refuse, format_non_pdf
    prescan   prescan.prescan          pdf_trop_complexe: objects, depth, tokens, decoded bytes
    open      pdf.open_pdf             pdf_illisible, pdf_chiffre, pdf_sans_page, pdf_repare, pdf_restrictions
    drawing   drawing                  pdf_trop_complexe: operators per page, forms and patterns expanded
    active    active_content, actions  pdf_contenu_actif (raw text, pypdf's tree, pdfium), pdf_fichier_joint
    ---
    name      verdict.check_extension  extension_trompeuse

:func:`check_document` checks bytes; :func:`check_file` and :func:`check_stream` never read more
than the size limit (plus one byte). :func:`reader_limits` sets pypdf's limits to ours for any
later reading of an accepted document (text extraction), which runs in a worker process too.
"""

from __future__ import annotations

from gateway.intake.documents.files import check_file, check_stream
from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.malware import ClamdScanner, Scanner, ScanResult
from gateway.intake.documents.messages import FLAGS, REASONS, Message, message_for
from gateway.intake.documents.model import DocumentVerdict, Flag, Reason, Verdict
from gateway.intake.documents.names import SanitisedName, sanitise_name
from gateway.intake.documents.pdf import reader_limits
from gateway.intake.documents.verdict import DOCUMENT_CHECKS, check_document

__all__ = [
    "DEFAULT_LIMITS",
    "DOCUMENT_CHECKS",
    "FLAGS",
    "REASONS",
    "ClamdScanner",
    "DocumentVerdict",
    "Flag",
    "Message",
    "PdfLimits",
    "Reason",
    "SanitisedName",
    "ScanResult",
    "Scanner",
    "Verdict",
    "check_document",
    "check_file",
    "check_stream",
    "message_for",
    "reader_limits",
    "sanitise_name",
]

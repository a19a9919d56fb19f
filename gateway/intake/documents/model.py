"""Values of the document checks: verdicts, reason codes, flags, and the verdict itself.

The words are those of spec/intake.md section 2 (``jpeg_refuse``, ``pdf_repare`` ...), plus
``malware_detecte`` (this project's code for a scanner finding, docs/intake.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """The one verdict each file gets."""

    ACCEPTED = "accepted"
    REFUSED = "refused"


class Reason(StrEnum):
    """Why a file was refused, in the order the checks apply (malware first after size)."""

    FICHIER_VIDE = "fichier_vide"
    FICHIER_TROP_VOLUMINEUX = "fichier_trop_volumineux"
    MALWARE_DETECTE = "malware_detecte"
    HTM_REFUSE = "htm_refuse"
    JPEG_REFUSE = "jpeg_refuse"
    FORMAT_NON_PDF = "format_non_pdf"
    PDF_ILLISIBLE = "pdf_illisible"
    PDF_TROP_COMPLEXE = "pdf_trop_complexe"
    PDF_CHIFFRE = "pdf_chiffre"
    PDF_SANS_PAGE = "pdf_sans_page"
    PDF_CONTENU_ACTIF = "pdf_contenu_actif"


class Flag(StrEnum):
    """Remarks on a file; an accepted file may carry several."""

    PDF_RESTRICTIONS = "pdf_restrictions"
    PDF_FICHIER_JOINT = "pdf_fichier_joint"
    PDF_REPARE = "pdf_repare"
    EXTENSION_TROMPEUSE = "extension_trompeuse"
    NOM_ASSAINI = "nom_assaini"


@dataclass(frozen=True)
class DocumentVerdict:
    """Everything the checks found out about one file.

    ``reason`` is None exactly when ``verdict`` is accepted. ``sha256`` is None only for a file
    over the size limit checked from disk (it is not read beyond the limit). ``page_count``,
    ``pdf_version`` and ``producer`` are None when the file could not be read as a PDF that far.
    ``scanned`` says whether a malware scanner looked at the file; ``scan_result`` is its answer
    (``OK`` or the signature found), empty when not scanned.
    """

    verdict: Verdict
    reason: Reason | None
    flags: tuple[Flag, ...]
    detected_type: str
    page_count: int | None
    pdf_version: str | None
    producer: str | None
    sha256: str | None
    size: int
    display_name: str
    message_fr: str
    message_en: str
    scanned: bool = False
    scan_result: str = ""

    @property
    def accepted(self) -> bool:
        """True when the file is accepted (flags or not)."""
        return self.verdict is Verdict.ACCEPTED

    def as_dict(self) -> dict[str, object]:
        """The verdict as a JSON-friendly mapping (enum values as their words)."""
        return {
            "verdict": str(self.verdict),
            "reason": None if self.reason is None else str(self.reason),
            "flags": [str(f) for f in self.flags],
            "display_name": self.display_name,
            "size": self.size,
            "sha256": self.sha256,
            "detected_type": self.detected_type,
            "page_count": self.page_count,
            "pdf_version": self.pdf_version,
            "producer": self.producer,
            "scanned": self.scanned,
            "scan_result": self.scan_result,
            "message_fr": self.message_fr,
            "message_en": self.message_en,
        }

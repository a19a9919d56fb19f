"""Document kinds and which ones an application needs (spec/intake.md section 1)."""

from __future__ import annotations

from enum import StrEnum

from gateway import texts
from gateway.intake.validation import LegalForm


class DocumentKind(StrEnum):
    """The kinds of document an application holds; values are the spec's words."""

    FICHE_RENSEIGNEMENT = "fiche_renseignement"
    PIECE_IDENTITE_GERANT = "piece_identite_gerant"
    AUTORISATION_ETABLISSEMENT = "autorisation_etablissement"
    ROLE_ARTISANAL = "role_artisanal"
    STATUTS = "statuts"
    RIB = "rib"

    @property
    def label_fr(self) -> str:
        """French label (message ``kind.<value>``)."""
        return texts.gettext("fr", f"kind.{self.value}")

    @property
    def label_en(self) -> str:
        """English label."""
        return texts.gettext("en", f"kind.{self.value}")


def required_kinds(legal_form: str) -> tuple[DocumentKind, ...]:
    """The kinds an application with ``legal_form`` must hold, in table order.

    ``statuts`` is required unless the form is ENTREPRISE_INDIVIDUELLE; with no legal form
    given yet it is required (the applicant has not said otherwise).
    """
    return tuple(
        k for k in DocumentKind if not (k is DocumentKind.STATUTS and legal_form == LegalForm.ENTREPRISE_INDIVIDUELLE)
    )


def parse_kind(value: str | None) -> DocumentKind | None:
    """The kind named ``value`` (case-insensitive), None for empty; raises ValueError otherwise."""
    if value is None or not value.strip():
        return None
    return DocumentKind(value.strip().lower())

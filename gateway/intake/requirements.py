"""Document kinds and which ones an application needs (spec/intake.md section 1)."""

from __future__ import annotations

from enum import StrEnum

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
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS = {
    DocumentKind.FICHE_RENSEIGNEMENT: ("Fiche de renseignement sur l'établissement au Luxembourg",
                                       "Information sheet on the establishment in Luxembourg"),
    DocumentKind.PIECE_IDENTITE_GERANT: ("Copie de la pièce d'identité du gérant", "Copy of the manager's identity card"),
    DocumentKind.AUTORISATION_ETABLISSEMENT: ("Copie de l'autorisation d'établissement (Ministère de l'Économie)",
                                              "Copy of the authorisation from the Ministry of the Economy"),
    DocumentKind.ROLE_ARTISANAL: ("Copie de l'inscription au rôle artisanal",
                                  "Copy of the registration on the craftsman's register"),
    DocumentKind.STATUTS: ("Copie des statuts de la société", "Copy of the company's articles of association"),
    DocumentKind.RIB: ("Relevé d'identité bancaire (RIB)", "Bank account identification form"),
}


def required_kinds(legal_form: str) -> tuple[DocumentKind, ...]:
    """The kinds an application with ``legal_form`` must hold, in table order.

    ``statuts`` is required unless the form is ENTREPRISE_INDIVIDUELLE; with no legal form
    given yet it is required (the applicant has not said otherwise).
    """
    return tuple(k for k in DocumentKind
                 if not (k is DocumentKind.STATUTS and legal_form == LegalForm.ENTREPRISE_INDIVIDUELLE))


def parse_kind(value: str | None) -> DocumentKind | None:
    """The kind named ``value`` (case-insensitive), None for empty; raises ValueError otherwise."""
    if value is None or not value.strip():
        return None
    return DocumentKind(value.strip().lower())

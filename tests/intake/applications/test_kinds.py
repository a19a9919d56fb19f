"""Required documents by legal form, and kinds suggested from names and text."""

from __future__ import annotations

import pytest

from gateway.intake.kinds import pdf_text, suggest_kind
from gateway.intake.requirements import DocumentKind as K
from gateway.intake.requirements import required_kinds
from gateway.intake.validation import LegalForm
from tests.intake.documents.samples import fpdf_pdf, reportlab_pdf


def test_statuts_not_required_for_a_sole_proprietorship():
    assert K.STATUTS not in required_kinds(LegalForm.ENTREPRISE_INDIVIDUELLE)
    assert len(required_kinds(LegalForm.ENTREPRISE_INDIVIDUELLE)) == 5


@pytest.mark.parametrize("form", [f for f in LegalForm if f is not LegalForm.ENTREPRISE_INDIVIDUELLE] + [""])
def test_statuts_required_for_every_other_form(form):
    assert required_kinds(form) == tuple(K)


@pytest.mark.parametrize(
    "name, text, kind",
    [
        pytest.param("RIB_BCEE.pdf", "", K.RIB, id="rib-name"),
        pytest.param("scan001.pdf", "Relevé d'identité bancaire IBAN LU28...", K.RIB, id="rib-text"),
        pytest.param("carte-d'identité gérant.pdf", "", K.PIECE_IDENTITE_GERANT, id="identity-accents"),
        pytest.param("Statuts_SARL.pdf", "", K.STATUTS, id="statuts"),
        pytest.param(
            "doc.pdf",
            "Autorisation d'établissement - Ministère de l'Économie",
            K.AUTORISATION_ETABLISSEMENT,
            id="authorisation-text",
        ),
        pytest.param("role_artisanal.pdf", "", K.ROLE_ARTISANAL, id="craft-register"),
        pytest.param("fiche_renseignement.pdf", "", K.FICHE_RENSEIGNEMENT, id="information-sheet"),
        pytest.param("scan001.pdf", "", None, id="nothing-to-go-on"),
        pytest.param("attribution.pdf", "distribution", None, id="rib-inside-a-word-is-not-rib"),
    ],
)
def test_suggestions(name, text, kind):
    assert suggest_kind(name, text) == kind


def test_name_outweighs_text():
    assert suggest_kind("statuts.pdf", "IBAN") == K.STATUTS


def test_text_of_real_pdfs():
    assert "Fiche de renseignement" in pdf_text(fpdf_pdf())
    assert "Autorisation" in pdf_text(reportlab_pdf())
    assert pdf_text(b"%PDF-1.7 broken") == ""

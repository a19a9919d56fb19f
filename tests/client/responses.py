"""Response files for the pull and import tests: the spec's examples, and made-to-measure ones."""

from __future__ import annotations

from pathlib import Path

from .conftest import DATA

EXAMPLES = DATA / "responses"
PARTIAL = "KINE_FACT_45001237_20261115093000_000124_REP.xml"
REJECTED = "KINE_FACT_45001237_20261116100000_000125_REP.xml"
DUPLICATE = "KINE_FACT_45001237_20261117080000_000126_REP.xml"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def accepted_response(request_name: str, sha256: str, *, records: int = 1, sequence: int = 1) -> bytes:
    """An ACCEPTE response (spec section 6) to the file ``request_name`` with ``records`` records."""
    lines = "".join(
        f'    <Enregistrement id="{i}" reference="R-{i}" statut="ACCEPTE"/>\n' for i in range(1, records + 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Reponse xmlns="urn:cns:echange:reponse:1" versionSchema="1.0">
  <Demande nomFichier="{request_name}" idFichier="3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88"
           numeroSequence="{sequence}" convention="KINE" sha256="{sha256}" taille="1000"
           recuLe="2026-11-15T09:30:02+01:00"/>
  <Traitement traiteLe="2026-11-15T09:30:03+01:00" mode="PRODUCTION"/>
  <Statut>ACCEPTE</Statut>
  <Compteurs enregistrementsRecus="{records}" enregistrementsAcceptes="{records}" enregistrementsRejetes="0"
             montantRecu="{records * 30.85:.2f}" montantAccepte="{records * 30.85:.2f}"/>
  <Enregistrements>
{lines}  </Enregistrements>
</Reponse>
""".encode()


def response_name(request_name: str) -> str:
    return f"{Path(request_name).stem}_REP.xml"

"""The published XSDs themselves: what providers validate against agrees with the gateway.

The gateway validates one subtree at a time (docs/exchange.md); here the same files go
through plain lxml against the published schema, as a provider's tool would, and both must
find the same violations (same lines, same libxml2 messages).
"""

from __future__ import annotations

import pytest
from lxml import etree

from tests.exchange import samples as s

from .conftest import REPO

EXAMPLES = REPO / "tests" / "exchange" / "examples"


def published(convention: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(REPO / "schemas" / f"{convention.lower()}-1.0.xsd")))


@pytest.mark.parametrize("folder", ["valid-lab", "valid-kine", "valid-diet", "valid-kine-test-mode"])
def test_valid_examples_pass_the_published_schema(folder: str) -> None:
    for path in (EXAMPLES / folder / "requests").iterdir():
        schema = published(path.name.split("_")[0])
        assert schema.validate(etree.parse(str(path))), schema.error_log


def test_the_spec_header_example_passes_the_published_schema() -> None:
    record = s.Record(id="1", reference="INV-2026-0042", matricule="1893120105732", acts=(s.Act("K101"),))
    data = s.build_request(s.Header(sequence=124, software=("KineSoft", "3.2")), [record])
    assert published("KINE").validate(etree.fromstring(data))


KINE = s.default_record("KINE", 1)
BROKEN = [
    pytest.param(lambda d: d.replace(f"<Matricule>{KINE.matricule}".encode(), b"<Matricule>12", 1), id="pattern"),
    pytest.param(lambda d: d.replace(b'reference="INV-000001"', b'reference="INV 1" couleur="x"'), id="attributes"),
    pytest.param(lambda d: d.replace(b"<Quantite>1</Quantite>", b"<Quantite>100</Quantite>", 1), id="range"),
    pytest.param(lambda d: d.replace(b"<Mode>PRODUCTION</Mode>", b"", 1), id="missing-element"),
    pytest.param(lambda d: d.replace(b'id="2"', b'id="01"'), id="duplicate-id-by-value"),
    pytest.param(lambda d: d.replace(b'reference="INV-000002"', b'reference="INV-000001"'), id="duplicate-reference"),
    pytest.param(lambda d: d.replace(b"<Montant>30.85</Montant>", b"<Montant>30.855</Montant>", 1), id="fraction"),
    pytest.param(
        lambda d: d.replace(b"<Seance><Date>2026-10-03</Date>", b"<Seance><Date>2026-10-3</Date>", 1), id="date-type"
    ),
    pytest.param(
        lambda d: d.replace(b"  </Enregistrement>\n", b"  </Enregistrement>\n  <Autre/>\n", 1),
        id="stray-between-records",
    ),
    pytest.param(
        lambda d: d.replace(b' versionSchema="1.0"', b' versionSchema="1.0" couleur="x"'), id="root-attribute"
    ),
    pytest.param(lambda d: d.replace(b' versionSchema="1.0"', b""), id="root-version-missing"),
    pytest.param(lambda d: d.replace(b"  </Entete>\n", b"  </Entete>\n  texte\n", 1), id="root-text"),
]


@pytest.mark.parametrize("breaks", BROKEN)
def test_gateway_and_published_schema_agree(check, breaks) -> None:
    data = breaks(s.build_request(s.Header(), [KINE, s.default_record("KINE", 2)]))
    schema = published("KINE")
    assert not schema.validate(etree.fromstring(data))
    # libxml2 adds a warning of its own when an invalid value also sits in an identity constraint
    expected = sorted((e.line, e.message) for e in schema.error_log if "No precomputed value" not in e.message)
    prefix = "Not valid against the schema: "
    found = sorted(
        (f.line, f.diagnostic or f.message_en.removeprefix(prefix))  # libxml2's words, kept beside the retold message
        for f in check(data).outcome.file_findings
    )
    assert found == expected

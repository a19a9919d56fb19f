"""What a response writes of values taken from the request: any text becomes well-formed XML.

Record ids and references come from the provider's file and are written as attributes: the
plain ones as they are, the others escaped, characters XML cannot hold replaced by U+FFFD.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.exchange.checks.model import FileStatus, Mode, Outcome, Received, RecordResult, RecordStatus
from gateway.exchange.checks.response import NAMESPACE, render_response

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parents[3] / "schemas" / "response-1.0.xsd")))
MOMENT = dt.datetime(2026, 11, 15, 8, 30, tzinfo=dt.UTC)


def _rendered(reference: str) -> etree._Element:
    received = Received(
        name="KINE_FACT_45001237_20261115093000_000001.xml",
        provider_code="45001237",
        profession="KINE",
        received_at=MOMENT,
        size=10,
        sha256="0" * 64,
        path=Path("/nonexistent"),
    )
    record = RecordResult(position=1, id="1", reference=reference, status=RecordStatus.ACCEPTE, amount=Decimal("1"))
    outcome = Outcome(
        received=received,
        status=FileStatus.ACCEPTE,
        mode=Mode.TEST,
        convention="KINE",
        id_fichier="00000000-0000-0000-0000-000000000001",
        sequence=1,
        records=(record,),
    )
    data = render_response(outcome, processed_at=MOMENT, timezone="Europe/Luxembourg")
    root = etree.fromstring(data)  # strict: raises on anything not well-formed
    SCHEMA.assertValid(root)
    return root


@pytest.mark.parametrize(
    "written,read_back",
    [
        pytest.param("INV-000001", "INV-000001", id="plain"),
        pytest.param('A&B <x> "q"', 'A&B <x> "q"', id="markup-characters"),
        pytest.param('say "hi"', 'say "hi"', id="quote-alone"),
        pytest.param("a&b", "a&b", id="ampersand-alone"),
        pytest.param("a<b", "a<b", id="less-than-alone"),
        pytest.param("tab\there\nline\rcr", "tab\there\nline\rcr", id="whitespace-kept-as-references"),
        pytest.param("bell\x07nul\x00", "bell\ufffdnul\ufffd", id="control-characters-replaced"),
        pytest.param("del\x7f", "del\x7f", id="delete-is-xml"),
        pytest.param("été ☃", "été ☃", id="non-ascii"),
        pytest.param("lone\ud800", "lone\ufffd", id="lone-surrogate"),
    ],
)
def test_a_reference_is_written_so_that_it_reads_back(written: str, read_back: str) -> None:
    record = _rendered(written).find(f"{{{NAMESPACE}}}Enregistrements/{{{NAMESPACE}}}Enregistrement")
    assert record is not None
    assert record.get("reference") == read_back

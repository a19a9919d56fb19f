"""Request files built from the examples are valid against the gateway's own schemas."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from lxml import etree

from gateway.client.builder import Header, build_request, request_name
from gateway.client.csvlayout import Convention, parse_billing, read_billing
from gateway.client.make import default_period, load_tariffs
from gateway.exchange.checks.model import Mode

from .conftest import DATA, NOW, PROVIDERS, SCHEMAS, TIMEZONE

#: spec section 2, exactly
NAME = re.compile(r"^(LAB|KINE|DIET)_FACT_[0-9]{8}_[0-9]{14}_[0-9]{6}\.xml$")


def build(convention: str, mode: Mode = Mode.PRODUCTION) -> bytes:
    billing = read_billing(
        DATA / f"{convention.lower()}.csv",
        convention,
        timezone=TIMEZONE,
        tariff=load_tariffs(SCHEMAS, Convention(convention), NOW.date()),
    )
    start, end = default_period(billing, NOW.date())
    header = Header(
        id_fichier="3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88",
        sequence=124,
        provider_code=PROVIDERS[convention],
        created_at=NOW,
        period_start=start,
        period_end=end,
        mode=mode,
        software_name="gateway-client",
        software_version="1.0",
    )
    return build_request(billing, header)


@pytest.mark.parametrize("convention", ["LAB", "KINE", "DIET"])
@pytest.mark.parametrize("mode", [Mode.PRODUCTION, Mode.TEST])
def test_built_file_is_valid_against_the_conventions_schema(convention, mode):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / f"{convention.lower()}-1.0.xsd")))
    document = etree.fromstring(build(convention, mode))
    assert schema.validate(document), schema.error_log
    ns = {"f": f"urn:cns:echange:{convention.lower()}:1"}
    assert document.findtext("f:Entete/f:Mode", namespaces=ns) == mode
    assert document.findtext("f:Entete/f:NombreEnregistrements", namespaces=ns) == "2"
    assert [e.get("id") for e in document.findall("f:Enregistrement", ns)] == ["1", "2"]


def test_totals_are_the_sums_written_with_two_decimals():
    document = etree.fromstring(build("KINE"))
    ns = {"f": "urn:cns:echange:kine:1"}
    records = document.findall("f:Enregistrement", ns)
    assert [r.findtext("f:MontantEnregistrement", namespaces=ns) for r in records] == ["61.70", "71.20"]
    assert document.findtext("f:Entete/f:MontantTotal", namespaces=ns) == "132.90"
    assert document.findtext("f:Entete/f:DateCreation", namespaces=ns) == "2026-11-15T08:30:00+00:00"
    assert document.find("f:Entete/f:Periode", ns).attrib == {"debut": "2026-10-01", "fin": "2026-10-31"}


@pytest.mark.parametrize(
    "sequence, expected",
    [
        pytest.param(124, "KINE_FACT_45001237_20261115093000_000124.xml", id="spec-example"),
        pytest.param(999999, "KINE_FACT_45001237_20261115093000_999999.xml", id="largest"),
    ],
)
def test_name_follows_section_2(sequence, expected):
    created = dt.datetime(2026, 11, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    name = request_name(Convention.KINE, "45001237", created, sequence)
    assert name == expected and NAME.match(name)


@pytest.mark.parametrize(
    "dates, today, expected",
    [
        pytest.param(["2026-10-03", "2026-10-20"], "2026-11-15", ("2026-10-01", "2026-10-31"), id="last-month"),
        pytest.param(["2026-11-02", "2026-11-09"], "2026-11-15", ("2026-11-01", "2026-11-15"), id="month-so-far"),
        pytest.param(["2026-10-25", "2026-11-05"], "2026-11-15", ("2026-10-25", "2026-11-05"), id="two-months"),
    ],
)
def test_default_period(dates, today, expected):
    text = "reference;matricule;code_medecin;date_ordonnance;seances_prescrites;date;code;quantite;montant\n" + "".join(
        f"R{i};1893120105732;10042117;2026-09-20;9;{d};K101;1;30.85\n" for i, d in enumerate(dates)
    )
    billing = parse_billing(text, Convention.KINE, timezone=TIMEZONE)
    start, end = default_period(billing, dt.date.fromisoformat(today))
    assert (start.isoformat(), end.isoformat()) == expected

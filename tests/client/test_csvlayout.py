"""The CSV layout: the documented examples, spreadsheet variants, and every problem reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.client.csvlayout import Convention, parse_billing, read_billing
from gateway.client.errors import CsvError
from gateway.client.make import load_tariffs

from .conftest import DATA, NOW, SCHEMAS, TIMEZONE


def tariff_for(convention: str):
    return load_tariffs(SCHEMAS, Convention(convention), NOW.date())


@pytest.mark.parametrize("convention", ["LAB", "KINE", "DIET"])
def test_documented_examples_read(convention):
    billing = read_billing(
        DATA / f"{convention.lower()}.csv", convention, timezone=TIMEZONE, tariff=tariff_for(convention)
    )
    assert billing.convention == convention
    assert len(billing.records) == 2
    assert all(record.acts for record in billing.records)


def test_acts_grouped_by_reference_in_order_of_first_appearance():
    text = (
        "reference;matricule;code_medecin;date_ordonnance;seances_prescrites;date;code;quantite;montant\n"
        "B;1983081246785;10042117;2026-09-25;9;2026-10-08;K101;1;30.85\n"
        "A;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;1;30.85\n"
        "B;1983081246785;10042117;2026-09-25;9;2026-10-09;K101;2;61.70\n"
    )
    billing = parse_billing(text, Convention.KINE, timezone=TIMEZONE)
    assert [r.reference for r in billing.records] == ["B", "A"]
    assert [a.line for a in billing.records[0].acts] == [2, 4]
    assert billing.records[0].amount == Decimal("92.55")
    assert billing.amount == Decimal("123.40")


def test_spreadsheet_export_with_bom_windows_1252_accents_and_french_formats(tmp_path):
    header = (
        "Référence;Matricule;Code médecin;Date ordonnance;Séances prescrites;Date;Code;Quantité;Montant;Remarque\r\n"
    )
    row = "INV-1;1893120105732;10042117;20/09/2026;9;03/10/2026;k101;1;€ 30,85;Mme Dupont\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes((header + row).encode("cp1252"))
    billing = read_billing(path, "KINE", timezone=TIMEZONE)
    act = billing.records[0].acts[0]
    assert (act.date, act.code, act.amount) == (dt.date(2026, 10, 3), "K101", Decimal("30.85"))
    assert billing.records[0].prescribed_on == dt.date(2026, 9, 20)

    path.write_bytes(b"\xef\xbb\xbf" + (header + row).replace(";", ",").replace("€ 30,85", '"30,85"').encode())
    assert read_billing(path, "KINE", timezone=TIMEZONE).records[0].acts[0].amount == Decimal("30.85")


def test_lab_sampling_time_gets_the_local_offset_and_gives_the_act_date():
    text = (
        "reference,matricule,code_medecin,date_ordonnance,prelevement,lieu,code,quantite,montant\n"
        "L1,1893120105732,10000172,2026-10-02,2026-10-03 08:15,labo,L0101,1,9.85\n"
        "L2,1893120105732,10000172,2026-10-02,2026-11-03T23:30:00+00:00,DOMICILE,L0901,1,7.50\n"
    )
    billing = parse_billing(text, Convention.LAB, timezone=TIMEZONE)
    first, second = billing.records
    assert first.sampled_at.isoformat() == "2026-10-03T08:15:00+02:00"  # summer time
    assert first.place == "LABO" and first.acts[0].date == dt.date(2026, 10, 3)
    assert second.acts[0].date == dt.date(2026, 11, 3)  # the date as written, no conversion


def test_empty_amount_is_priced_from_the_nomenclature_on_the_act_date():
    text = (
        "reference;matricule;code_medecin;date_ordonnance;seances_prescrites;date;code;quantite;montant\n"
        "A;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;3;\n"
    )
    billing = parse_billing(text, Convention.KINE, timezone=TIMEZONE, tariff=tariff_for("KINE"))
    assert billing.records[0].acts[0].amount == Decimal("92.55")
    # K099 left the nomenclature on 2025-06-30: no tariff, a problem rather than a guess
    with pytest.raises(CsvError) as caught:
        parse_billing(text.replace("K101", "K099"), Convention.KINE, timezone=TIMEZONE, tariff=tariff_for("KINE"))
    assert caught.value.problems == [
        "line 2: montant is empty and K099 has no tariff on 2026-10-03 in the nomenclature"
    ]


KINE_HEADER = "reference;matricule;code_medecin;date_ordonnance;seances_prescrites;date;code;quantite;montant\n"


@pytest.mark.parametrize(
    "row, problem",
    [
        pytest.param(
            "A;1.89312E+12;10042117;2026-09-20;9;2026-10-03;K101;1;30.85",
            "line 2: matricule: '1.89312E+12' must be 13 digits (format the column as text in the spreadsheet)",
            id="matricule-as-number",
        ),
        pytest.param(
            "A;1893120105732;10042117;2026-09-31;9;2026-10-03;K101;1;30.85",
            "line 2: date_ordonnance: '2026-09-31' is not a date (write 2026-10-03 or 03/10/2026)",
            id="impossible-date",
        ),
        pytest.param(
            "A;1893120105732;10042117;2026-09-20;9;2026-10-03;X101;1;30.85",
            "line 2: code: 'X101' is not a KINE act code (K[0-9]{3})",
            id="code-of-other-convention",
        ),
        pytest.param(
            "A;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;0;30.85",
            "line 2: quantite: 0 is not between 1 and 99",
            id="zero-quantity",
        ),
        pytest.param(
            "A;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;1;30.855",
            "line 2: montant: '30.855' has more than two decimals",
            id="three-decimals",
        ),
        pytest.param(
            "A B;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;1;30.85",
            "line 2: reference 'A B' must be 1 to 35 of A-Z a-z 0-9 . _ / -",
            id="reference-with-space",
        ),
        pytest.param(
            "A;1893120105732;;2026-09-20;9;2026-10-03;K101;1;30.85",
            "line 2: code_medecin is empty",
            id="empty-physician",
        ),
        pytest.param(
            "A;1893120105732;10042117;2026-09-20;65;2026-10-03;K101;1;30.85",
            "line 2: seances_prescrites: 65 is not between 1 and 64",
            id="too-many-sessions-prescribed",
        ),
    ],
)
def test_each_problem_is_named_with_its_line(row, problem):
    with pytest.raises(CsvError) as caught:
        parse_billing(KINE_HEADER + row + "\n", Convention.KINE, timezone=TIMEZONE)
    assert caught.value.problems == [problem]


def test_every_problem_is_reported_at_once():
    text = KINE_HEADER + (
        "A;1893120105732;10042117;2026-09-20;9;2026-10-03;K101;1;30.85\n"
        "A;1983081246785;10042117;2026-09-20;9;2026-10-04;K101;1;abc\n"
        "B;123;10042117;2026-09-20;9;2026-13-01;K101;1;30.85\n"
    )
    with pytest.raises(CsvError) as caught:
        parse_billing(text, Convention.KINE, timezone=TIMEZONE)
    assert caught.value.problems == [
        "line 3: matricule '1983081246785' differs from line 2 ('1893120105732') for reference A",
        "line 3: montant: 'abc' is not an amount (write 30.85 or 30,85)",
        "line 4: matricule: '123' must be 13 digits, not 3",
        "line 4: date: '2026-13-01' is not a date (write 2026-10-03 or 03/10/2026)",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param(KINE_HEADER, "no act lines after the header", id="header-only"),
        pytest.param(
            "reference;matricule;date;code;quantite\nA;1;2;3;4\n",
            r"lacks column\(s\) code_medecin, "
            "date_ordonnance, seances_prescrites",
            id="missing-columns",
        ),
    ],
)
def test_unusable_files(text, message):
    with pytest.raises(CsvError, match=message):
        parse_billing(text, Convention.KINE, timezone=TIMEZONE)


def test_a_record_holds_at_most_the_spec_number_of_acts():
    rows = "".join(
        f"A;1983081246785;10042117;2026-06-11;2026-10-{1 + i % 28:02d};D102;1;35.00;47003116\n" for i in range(33)
    )
    text = "reference;matricule;code_medecin;date_ordonnance;date;code;quantite;montant;executant\n" + rows
    with pytest.raises(CsvError) as caught:
        parse_billing(text, Convention.DIET, timezone=TIMEZONE)
    assert caught.value.problems == ["line 34: reference A has 33 acts; a DIET record holds at most 32"]

"""Every code of spec/exchange.md section 4, each triggered by a file, read back from the response.

Each case checks the code, its severity, the line and the path as the response carries them,
and the file's status; every response is validated against the response schema on the way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from gateway.exchange.checks.memory import MemoryHistory
from gateway.exchange.checks.model import ActKey, EarlierFile
from gateway.exchange.checks.pipeline import Checker
from tests.exchange import samples as s

from .conftest import REPO, TIMEZONE

KINE = s.default_record("KINE", 1)
REC = "/Facturation/Enregistrement[1]"


def line(data: bytes, needle: str, nth: int = 1) -> int:
    """The line of the nth occurrence of ``needle``."""
    at = -1
    for _ in range(nth):
        at = data.index(needle.encode(), at + 1)
    return data.count(b"\n", 0, at) + 1


def kine(*records: s.Record, **header: object) -> bytes:
    return s.build_request(s.Header(**header), list(records) or [KINE])


def with_acts(*acts: s.Act, **changes: object) -> s.Record:
    return dataclasses.replace(KINE, acts=acts, **changes)


def matricule_with(body11: str, luhn: int | None = None, verhoeff: int | None = None) -> str:
    from gateway.identifiers import luhn_check_digit, verhoeff_check_digit

    return (
        f"{body11}{luhn if luhn is not None else luhn_check_digit(body11)}"
        f"{verhoeff if verhoeff is not None else verhoeff_check_digit(body11)}"
    )


# ----------------------------------------------------------------------------- record rules

RECORD_CASES = [
    pytest.param(
        with_acts(s.Act("K101"), matricule=matricule_with("19931301001")),
        "MAT-002",
        "Matricule",
        "<Matricule>",
        id="mat-002-no-such-date",
    ),
    pytest.param(
        with_acts(s.Act("K101"), matricule=matricule_with("18931201057", luhn=4)),
        "MAT-003",
        "Matricule",
        "<Matricule>",
        id="mat-003-luhn",
    ),
    pytest.param(
        with_acts(s.Act("K101"), matricule="1893120105733"),
        "MAT-004",
        "Matricule",
        "<Matricule>",
        id="mat-004-verhoeff",
    ),
    pytest.param(
        with_acts(s.Act("K101"), matricule=s.make_matricule(dt.date(2026, 10, 5), 1)),
        "MAT-005",
        "Matricule",
        "<Matricule>",
        id="mat-005-born-after-act",
    ),
    pytest.param(
        with_acts(s.Act("K101"), physician="10042118"),
        "PRE-001",
        "Ordonnance/CodeMedecin",
        "<CodeMedecin>",
        id="pre-001-check-digit",
    ),
    pytest.param(
        with_acts(s.Act("K101"), physician="45001237"),
        "PRE-001",
        "Ordonnance/CodeMedecin",
        "<CodeMedecin>",
        id="pre-001-not-a-physician",
    ),
    pytest.param(
        with_acts(s.Act("K101", date=dt.date(2026, 9, 30)), prescribed_on=dt.date(2026, 9, 1)),
        "DAT-001",
        "Seance[1]/Date",
        "<Seance>",
        id="dat-001-before-period",
    ),
    pytest.param(
        with_acts(
            s.Act("K101", date=dt.date(2026, 10, 3)),
            s.Act("K101", date=dt.date(2026, 10, 5)),
            prescribed_on=dt.date(2026, 10, 4),
        ),
        "DAT-003",
        "Seance[1]/Date",
        "<Seance>",
        id="dat-003-before-prescription",
    ),
    pytest.param(with_acts(s.Act("K777")), "NOM-001", "Seance[1]/Code", "<Seance>", id="nom-001-unknown"),
    pytest.param(
        with_acts(s.Act("K099", amount=Decimal("28.00"))),
        "NOM-002",
        "Seance[1]/Code",
        "<Seance>",
        id="nom-002-withdrawn",
    ),
    pytest.param(
        with_acts(s.Act("K401", quantity=2, amount=Decimal("97.80"))),
        "NOM-003",
        "",
        "<Enregistrement",
        id="nom-003-max-per-record",
    ),
    pytest.param(
        with_acts(s.Act("K101", amount=Decimal("31.00"))),
        "MNT-001",
        "Seance[1]/Montant",
        "<Seance>",
        id="mnt-001-not-tariff",
    ),
    pytest.param(
        with_acts(s.Act("K101"), total=Decimal("30.86")),
        "MNT-002",
        "MontantEnregistrement",
        "<MontantEnregistrement>",
        id="mnt-002-not-the-sum",
    ),
    pytest.param(
        with_acts(s.Act("K101", quantity=2, amount=Decimal("61.70")), prescribed_sessions=1),
        "KIN-001",
        "",
        "<Enregistrement",
        id="kin-001-more-than-prescribed",
    ),
]


@pytest.mark.parametrize(("record", "code", "where", "needle"), RECORD_CASES)
def test_record_rule(check, record: s.Record, code: str, where: str, needle: str) -> None:
    data = kine(record)
    result = check(data)
    errors = [e for e in result.errors() if e["code"] == code]
    assert errors, result.errors()
    error = errors[0]
    assert error["gravite"] == "ERREUR"
    assert error["chemin"] == (f"{REC}/{where}" if where else REC)
    assert error["ligne"] == line(data, needle)
    assert error["record"] == "1"
    assert error["messages"] == ["fr", "en"]
    assert result.status == "REJETE"
    assert result.record_statuses() == ["REJETE"]


def test_dat_002_act_after_day_of_receipt(check) -> None:
    data = kine(
        with_acts(s.Act("K101", date=dt.date(2026, 11, 16)), prescribed_on=dt.date(2026, 11, 1)),
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 15),
        created="2026-11-15T09:00:00+01:00",
    )
    result = check(data)
    codes = result.codes()
    assert "DAT-002" in codes and "DAT-001" in codes
    error = next(e for e in result.errors() if e["code"] == "DAT-002")
    assert (error["chemin"], error["ligne"], error["valeur"]) == (
        f"{REC}/Seance[1]/Date",
        line(data, "<Seance>"),
        "2026-11-16",
    )


def test_dat_004_is_a_warning_on_the_earliest_session(check) -> None:
    data = kine(
        with_acts(
            s.Act("K101", date=dt.date(2026, 10, 9)),
            s.Act("K101", date=dt.date(2026, 10, 3)),
            prescribed_on=dt.date(2026, 8, 1),
        )
    )
    result = check(data)
    assert result.codes() == ["DAT-004"]
    error = result.errors()[0]
    assert (error["gravite"], error["chemin"], error["ligne"]) == (
        "AVERTISSEMENT",
        f"{REC}/Seance[2]/Date",
        line(data, "<Seance>", 2),
    )
    assert result.status == "ACCEPTE"
    assert result.record_statuses() == ["ACCEPTE_AVEC_AVERTISSEMENT"]


def test_lab_001_home_sampling_outside_home(check) -> None:
    record = dataclasses.replace(s.default_record("LAB", 1), acts=(s.Act("L0101"), s.Act("L0901")), place="LABO")
    data = s.build_request(s.Header(convention="LAB"), [record])
    result = check(data, convention="LAB")
    assert result.codes() == ["LAB-001"]
    error = result.errors()[0]
    assert (error["chemin"], error["ligne"]) == (f"{REC}/Analyse[2]/Code", line(data, "<Analyse>", 2))


def test_lab_act_date_points_at_the_sampling_attribute(check) -> None:
    record = dataclasses.replace(
        s.default_record("LAB", 1), sampled_at="2026-09-30T23:30:00-02:00", prescribed_on=dt.date(2026, 9, 1)
    )
    data = s.build_request(s.Header(convention="LAB"), [record])
    result = check(data, convention="LAB")
    assert result.codes() == ["DAT-001"]  # once per record, the date as written (no time-zone shift)
    error = result.errors()[0]
    assert (error["chemin"], error["valeur"], error["ligne"]) == (
        f"{REC}/Prelevement/@dateHeure",
        "2026-09-30T23:30:00-02:00",
        line(data, "<Prelevement"),
    )


def test_die_001_performer_not_a_dietitian(check) -> None:
    record = dataclasses.replace(s.default_record("DIET", 1), acts=(s.Act("D102", performer="47003117"),))
    data = s.build_request(s.Header(convention="DIET"), [record])
    result = check(data, convention="DIET")
    assert result.codes() == ["DIE-001"]
    error = result.errors()[0]
    assert (error["chemin"], error["ligne"]) == (
        f"{REC}/Consultation[1]/CodePrestataireExecutant",
        line(data, "<Consultation>"),
    )


def test_dup_001_later_record_rejected(check) -> None:
    first = s.default_record("KINE", 1)
    second = dataclasses.replace(s.default_record("KINE", 2), matricule=first.matricule)
    data = kine(first, second, s.default_record("KINE", 3))
    result = check(data)
    assert result.status == "PARTIELLEMENT_ACCEPTE"
    assert result.record_statuses() == ["ACCEPTE", "REJETE", "ACCEPTE"]
    errors = result.errors()
    assert {e["code"] for e in errors} == {"DUP-001"}
    assert {(e["chemin"], e["ligne"], e["record"]) for e in errors} == {
        ("/Facturation/Enregistrement[2]", line(data, "<Enregistrement", 2), "2")
    }


def test_dup_002_act_accepted_in_an_earlier_production_file(check) -> None:
    history = MemoryHistory()
    history.remember(check(kine(sequence=1)).outcome)
    data = kine(
        s.default_record("KINE", 1),
        s.default_record("KINE", 2),
        sequence=2,
        id_fichier="00000000-0000-0000-0000-000000000002",
    )
    result = check(data, name=s.file_name(sequence=2), history=history)
    assert result.status == "PARTIELLEMENT_ACCEPTE"
    assert [(e["code"], e["chemin"], e["ligne"]) for e in result.errors()] == [
        ("DUP-002", REC, line(data, "<Enregistrement")),
        ("DUP-002", REC, line(data, "<Enregistrement")),
    ]


def test_test_files_ignore_history_both_ways(check) -> None:
    history = MemoryHistory()
    history.remember(check(kine(sequence=1, mode="TEST")).outcome)
    again = check(kine(sequence=1, created="2026-11-15T09:30:01+01:00"), history=history)
    assert again.status == "ACCEPTE"  # the TEST file used up neither sequence, IdFichier nor acts
    history.remember(again.outcome)
    test_again = check(kine(sequence=1, mode="TEST", created="2026-11-15T09:30:02+01:00"), history=history)
    assert test_again.status == "ACCEPTE"


# ----------------------------------------------------------------------------- header rules


def _history_with_sequence(check, number: int) -> MemoryHistory:
    history = MemoryHistory()
    history.remember(
        check(kine(s.default_record("KINE", 9), sequence=number), name=s.file_name(sequence=number)).outcome
    )
    return history


@pytest.mark.parametrize(
    ("header", "code", "severity", "element", "status"),
    [
        pytest.param({"provider": "45001245"}, "ENT-001", "FATAL", "CodePrestataire", "REJETE", id="ent-001"),
        pytest.param({"count": 2}, "ENT-006", "FATAL", "NombreEnregistrements", "REJETE", id="ent-006"),
        pytest.param({"total": Decimal("61.71")}, "ENT-007", "FATAL", "MontantTotal", "REJETE", id="ent-007"),
        pytest.param(
            {"created": "2026-11-15T09:35:03+01:00"}, "ENT-008", "FATAL", "DateCreation", "REJETE", id="ent-008-future"
        ),
        pytest.param(
            {"created": "2026-11-15T09:36:00"},
            "ENT-008",
            "FATAL",
            "DateCreation",
            "REJETE",
            id="ent-008-no-offset-is-local-time",
        ),
        pytest.param(
            {"start": dt.date(2026, 10, 31), "end": dt.date(2026, 10, 1)},
            "ENT-009",
            "FATAL",
            "Periode",
            "REJETE",
            id="ent-009-end-before-start",
        ),
        pytest.param(
            {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 11, 1)},
            "ENT-009",
            "FATAL",
            "Periode",
            "REJETE",
            id="ent-009-32-days",
        ),
        pytest.param(
            {"start": dt.date(2026, 11, 1), "end": dt.date(2026, 11, 16)},
            "ENT-009",
            "FATAL",
            "Periode",
            "REJETE",
            id="ent-009-ends-after-receipt",
        ),
    ],
)
def test_header_rule(check, header: dict, code: str, severity: str, element: str, status: str) -> None:
    record = KINE
    if "start" in header and header["start"] >= dt.date(2026, 10, 31):
        record = dataclasses.replace(
            KINE, acts=(s.Act("K101", date=dt.date(2026, 11, 3)),), prescribed_on=dt.date(2026, 10, 30)
        )
    data = kine(record, **header)
    result = check(data)
    errors = [e for e in result.errors() if e["code"] == code]
    assert len(errors) == 1, result.errors()
    assert (errors[0]["gravite"], errors[0]["chemin"], errors[0]["ligne"]) == (
        severity,
        f"/Facturation/Entete/{element}",
        line(data, f"<{element}"),
    )
    assert result.status == status
    assert result.root.find("{urn:cns:echange:reponse:1}Enregistrements") is None


def test_ent_009_31_days_is_allowed(check) -> None:
    assert check(kine(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))).status == "ACCEPTE"


def test_ent_008_five_minutes_of_skew_allowed(check) -> None:
    assert check(kine(created="2026-11-15T09:35:02+01:00")).status == "ACCEPTE"


def test_ent_002_name_convention_disagrees_with_namespace(check) -> None:
    lab = s.default_record("LAB", 1)
    data = s.build_request(s.Header(convention="LAB", provider=s.PROVIDERS["KINE"]), [lab])
    result = check(data, name=s.file_name("KINE"), convention="KINE")
    assert [(e["code"], e["chemin"], e["ligne"]) for e in result.errors()] == [("ENT-002", "/Facturation", 2)]
    assert result.root.find("{urn:cns:echange:reponse:1}Demande").get("convention") == "LAB"


def test_ent_002_name_sequence_disagrees(check) -> None:
    data = kine(sequence=7)
    result = check(data, name=s.file_name(sequence=8))
    assert [(e["code"], e["chemin"], e["ligne"]) for e in result.errors()] == [
        ("ENT-002", "/Facturation/Entete/NumeroSequence", line(data, "<NumeroSequence"))
    ]


def test_ent_003_id_fichier_reused(check) -> None:
    history = _history_with_sequence(check, 1)
    data = kine(sequence=2)
    result = check(data, name=s.file_name(sequence=2), history=history)
    assert [(e["code"], e["chemin"]) for e in result.errors()] == [("ENT-003", "/Facturation/Entete/IdFichier")]


def test_rejected_file_uses_up_neither_id_nor_sequence(check) -> None:
    history = MemoryHistory()
    history.remember(check(kine(count=5)).outcome)
    assert check(kine(), history=history).status == "ACCEPTE"


@pytest.mark.parametrize(
    ("last", "number", "code", "status"),
    [
        pytest.param(5, 5, "ENT-004", "REJETE", id="ent-004-same"),
        pytest.param(5, 3, "ENT-004", "REJETE", id="ent-004-lower"),
        pytest.param(5, 7, "ENT-005", "ACCEPTE", id="ent-005-gap"),
    ],
)
def test_sequence_rules(check, last: int, number: int, code: str, status: str) -> None:
    history = _history_with_sequence(check, last)
    data = kine(sequence=number, id_fichier="00000000-0000-0000-0000-00000000000a")
    result = check(data, name=s.file_name(sequence=number), history=history)
    assert [(e["code"], e["chemin"], e["ligne"], e["valeur"]) for e in result.errors()] == [
        (code, "/Facturation/Entete/NumeroSequence", line(data, "<NumeroSequence"), str(number))
    ]
    assert result.status == status


# ----------------------------------------------------------------------------- file, XML, schema


def test_fic_005_doublon_names_the_earlier_file(check) -> None:
    data = kine()
    history = MemoryHistory()
    history.remember(check(data).outcome)
    result = check(data, name="KINE_FACT_45001237_20261115093000_000002.xml", history=history)
    assert result.status == "DOUBLON"
    earlier = result.root.find("{urn:cns:echange:reponse:1}DoublonDe")
    assert earlier.get("nomFichier") == s.file_name()
    assert result.root.find("{urn:cns:echange:reponse:1}Traitement").get("mode") is None
    assert result.errors() == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("kine.xml", id="free-name"),
        pytest.param("KINE_FACT_45001237_20261115093000_000001.XML", id="upper-case-ending"),
        pytest.param("KINE_FACT_45001237_20261315093000_000001.xml", id="impossible-timestamp"),
        pytest.param("KINE_FACT_45001237_20261301093000_000001.xml", id="month-13-day-01"),
        pytest.param("KINE_FACT_45001237_20260229093000_000001.xml", id="no-29-february-2026"),
        pytest.param("KINE_FACT_45001237_20261115240000_000001.xml", id="hour-24"),
        pytest.param("OCB_FACT_45001237_20261115093000_000001.xml", id="other-convention"),
        pytest.param("KINE_FACT_4500123_20261115093000_000001.xml", id="seven-digit-code"),
    ],
)
def test_fic_001_name(check, name: str) -> None:
    result = check(kine(), name=name)
    assert [(e["code"], e["gravite"], e["ligne"], e["chemin"]) for e in result.errors()] == [
        ("FIC-001", "FATAL", None, None)
    ]
    assert result.status == "REJETE"


def test_fic_002_empty(check) -> None:
    result = check(b"")
    assert [(e["code"], e["gravite"]) for e in result.errors()] == [("FIC-002", "FATAL")]


def test_fic_003_over_the_limit(check, tmp_path) -> None:
    small = Checker(REPO / "schemas", timezone=TIMEZONE, max_file_bytes=100)
    result = check(kine(), use=small)
    assert [(e["code"], e["gravite"]) for e in result.errors()] == [("FIC-003", "FATAL")]


@pytest.mark.parametrize(
    ("name", "profession", "value"),
    [
        pytest.param(s.file_name("LAB", provider=s.PROVIDERS["KINE"]), "KINE", "LAB", id="other-profession"),
        pytest.param(s.file_name("KINE", provider="45001245"), "KINE", "45001245", id="other-provider"),
    ],
)
def test_fic_004(check, name: str, profession: str, value: str) -> None:
    result = check(kine(), name=name, profession=profession)
    assert [(e["code"], e["gravite"], e["valeur"]) for e in result.errors()] == [("FIC-004", "FATAL", value)]


@pytest.mark.parametrize(
    ("data", "code", "position"),
    [
        pytest.param(kine()[:-20], "XML-001", None, id="truncated"),
        pytest.param(b"   \n\n  ", "XML-001", None, id="white-space-only"),
        pytest.param(kine().replace(b"</Matricule>", b"</Matricul>", 1), "XML-001", (17, None), id="mismatched-tag"),
        pytest.param(
            kine().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), "XML-001", (1, 31), id="latin-1-declared"
        ),
        pytest.param(kine().replace(b"KineSoft", b"Kin\xe9Soft"), "XML-001", (12, None), id="not-utf-8-bytes"),
        pytest.param(b"\xff\xfe" + kine().decode().encode("utf-16-le"), "XML-001", (1, 1), id="utf-16"),
        pytest.param(
            kine().replace(b"<Facturation", b'<!DOCTYPE Facturation [<!ENTITY x "y">]>\n<Facturation', 1),
            "XML-002",
            (2, 1),
            id="dtd-with-entity",
        ),
        pytest.param(
            kine().replace(
                b"<Facturation", b'<!DOCTYPE Facturation SYSTEM "http://example.invalid/x.dtd">\n<Facturation', 1
            ),
            "XML-002",
            (2, 1),
            id="external-dtd",
        ),
        pytest.param(
            kine().replace(b"<Matricule>", b"<a>" * 300 + b"</a>" * 300 + b"<Matricule>", 1),
            "XML-003",
            None,
            id="depth-300",
        ),
    ],
)
def test_xml_stage(check, data: bytes, code: str, position: tuple | None) -> None:
    result = check(data)
    errors = result.errors()
    assert [(e["code"], e["gravite"]) for e in errors] == [(code, "FATAL")]
    if position is not None:
        assert errors[0]["ligne"] == position[0]
        if position[1] is not None:
            assert errors[0]["colonne"] == position[1]
    if code == "XML-002":  # found before any parsing: nothing of the file was read
        assert result.root.find("{urn:cns:echange:reponse:1}Traitement").get("mode") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param(b"1" * (10 * 2**20 + 1), "XML-003", id="10-MiB-plus-1"),
        pytest.param(b"1" * (10 * 2**20), "XSD-001", id="exactly-10-MiB-is-parsed"),
        pytest.param("é".encode() * (5 * 2**20 + 1), "XML-003", id="bytes-not-characters"),
    ],
)
def test_xml_003_text_node_over_10_mib(check, text: bytes, code: str) -> None:
    data = kine().replace(f"<Matricule>{KINE.matricule}".encode(), b"<Matricule>" + text, 1)
    assert set(check(data).codes()) == {code}


def test_xml_003_attribute_value_over_10_mib(check) -> None:
    data = kine().replace(b'reference="', b'reference="' + b"x" * (10 * 2**20 + 1), 1)
    result = check(data)
    assert [(e["code"], e["ligne"]) for e in result.errors()] == [("XML-003", line(data, "<Enregistrement"))]


@pytest.mark.parametrize(
    ("depth", "code"),
    [
        pytest.param(256, "XSD-001", id="256-levels-parse"),
        pytest.param(257, "XML-003", id="257-levels-do-not"),
    ],
)
def test_xml_003_depth_boundary(check, depth: int, code: str) -> None:
    # root (1) > Enregistrement (2) > 254 more levels of <a> = depth 256
    nested = depth - 2
    data = kine().replace(b"<Matricule>", b"<a>" * nested + b"</a>" * nested + b"<Matricule>", 1)
    assert set(check(data).codes()) == {code}


def test_xml_003_depth_in_a_file_no_schema_applies_to(check) -> None:
    data = b'<?xml version="1.0"?>\n<x xmlns="urn:other">' + b"<a>" * 300 + b"</a>" * 300 + b"</x>"
    assert check(data).codes() == ["XML-003"]


@pytest.mark.parametrize(
    ("change", "path", "value", "needle"),
    [
        pytest.param(
            (f"<Matricule>{KINE.matricule}".encode(), b"<Matricule>12"),
            f"{REC}/Matricule",
            "12",
            "<Matricule>",
            id="pattern",
        ),
        pytest.param(
            (b'reference="INV-000001"', b'reference="INV 1" couleur="bleu"'),
            f"{REC}/@reference",
            "INV 1",
            "<Enregistrement",
            id="attribute-pattern",
        ),
        pytest.param(
            (b'<Enregistrement id="1" ', b"<Enregistrement "),
            REC,
            None,
            "<Enregistrement",
            id="missing-attribute-points-at-holder",
        ),
        pytest.param(
            (b"<Matricule>", b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="x"/><Matricule>'),
            f"{REC}/include",
            None,
            "<xi:include",
            id="xinclude-not-allowed",
        ),
        pytest.param(
            (b"<Mode>PRODUCTION", b"<Mode>PROD"), "/Facturation/Entete/Mode", "PROD", "<Mode>", id="header-enumeration"
        ),
        pytest.param((b'versionSchema="1.0"', b""), "/Facturation", None, "<Facturation", id="version-missing"),
    ],
)
def test_xsd_001(check, change: tuple[bytes, bytes], path: str, value: str | None, needle: str) -> None:
    data = kine().replace(*change, 1)
    result = check(data)
    errors = result.errors()
    assert errors and all(e["code"] == "XSD-001" and e["gravite"] == "FATAL" for e in errors)
    first = errors[0]
    assert (first["chemin"], first["valeur"], first["ligne"]) == (path, value, line(data, needle))
    assert result.status == "REJETE"


def test_xsd_001_identity_constraints(check) -> None:
    first, second = s.default_record("KINE", 1), s.default_record("KINE", 2)
    data = kine(first, dataclasses.replace(second, id="1", reference=first.reference))
    errors = check(data).errors()
    assert [(e["code"], e["chemin"], e["ligne"]) for e in errors] == [
        ("XSD-001", "/Facturation/Enregistrement[2]/@id", line(data, "<Enregistrement", 2)),
        ("XSD-001", "/Facturation/Enregistrement[2]/@reference", line(data, "<Enregistrement", 2)),
    ]


def test_xsd_001_every_error_then_xsd_004_at_the_cap(check) -> None:
    bad = [dataclasses.replace(s.default_record("KINE", i), matricule="12") for i in range(1, 1003)]
    result = check(kine(*bad))
    codes = result.codes()
    assert codes.count("XSD-001") == 1000
    assert codes[-1] == "XSD-004"
    assert result.errors()[-1]["gravite"] == "INFO"


def test_xsd_001_order_of_root_children(check) -> None:
    data = kine().replace(b"  </Entete>\n", b"  </Entete>\n  <Autre/>\n", 1)
    errors = check(data).errors()
    assert [(e["code"], e["chemin"], e["ligne"]) for e in errors] == [("XSD-001", "/Facturation/Autre", 16)]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param((b"urn:cns:echange:kine:1", b"urn:example:other"), id="unknown-namespace"),
        pytest.param((b"<Facturation ", b"<Factures "), id="other-root"),
    ],
)
def test_xsd_002(check, change: tuple[bytes, bytes]) -> None:
    data = kine().replace(*change, 1)
    if change[0] == b"<Facturation ":
        data = data.replace(b"</Facturation>", b"</Factures>")
    errors = check(data).errors()
    assert [(e["code"], e["gravite"], e["ligne"]) for e in errors] == [("XSD-002", "FATAL", 2)]


def test_xsd_003_version_not_accepted(check) -> None:
    errors = check(kine(version="1.1")).errors()
    assert [(e["code"], e["chemin"], e["valeur"]) for e in errors] == [
        ("XSD-003", "/Facturation/@versionSchema", "1.1")
    ]


def test_spec_example_files_are_accepted(check) -> None:
    """The record of section 3.3 with its own values, in a one-record file."""
    record = s.Record(
        id="1",
        reference="INV-2026-0042",
        matricule="1893120105732",
        physician="10042117",
        prescribed_on=dt.date(2026, 9, 20),
        acts=(s.Act("K101", date=dt.date(2026, 10, 3)), s.Act("K101", date=dt.date(2026, 10, 7))),
    )
    result = check(kine(record, sequence=124), name="KINE_FACT_45001237_20261115093000_000124.xml")
    assert result.status == "ACCEPTE", result.errors()
    assert result.root.find("{urn:cns:echange:reponse:1}Compteurs").get("montantRecu") == "61.70"


def test_act_keys_for_forwarding(check) -> None:
    result = check(kine())
    record = result.outcome.records[0]
    assert record.acts == (ActKey(KINE.matricule, "K101", "2026-10-03"), ActKey(KINE.matricule, "K101", "2026-10-07"))
    assert record.amount == Decimal("61.70") and record.reference == KINE.reference


def test_memory_history_names_earlier(check) -> None:
    history = MemoryHistory()
    first = check(kine())
    history.remember(first.outcome)
    assert history.identical_file(s.PROVIDERS["KINE"], first.outcome.received.sha256) == EarlierFile(
        first.outcome.received.name, first.outcome.received.received_at
    )


def test_schema_location_is_ignored(check) -> None:
    extra = (
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="urn:cns:echange:kine:1 http://127.0.0.1:9/never-fetched.xsd"'
    )
    assert check(kine(extra_root=extra)).status == "ACCEPTE"


def test_other_root_attribute_is_xsd_001(check) -> None:
    data = kine(extra_root=' couleur="bleu"')
    assert [(e["code"], e["chemin"], e["valeur"]) for e in check(data).errors()] == [
        ("XSD-001", "/Facturation/@couleur", "bleu")
    ]


def test_records_over_the_cap_are_not_expected(check, monkeypatch) -> None:
    # The schema's maxOccurs is 100,000; the streaming pass applies the same bound (lowered here).
    from gateway.exchange.checks.stages import schema

    monkeypatch.setattr(schema, "MAX_RECORDS", 2)
    data = kine(*[s.default_record("KINE", i) for i in (1, 2, 3)])
    assert [(e["code"], e["chemin"], e["ligne"]) for e in check(data).errors()] == [
        ("XSD-001", "/Facturation/Enregistrement[3]", line(data, "<Enregistrement", 3))
    ]


@pytest.mark.parametrize("convention", ["KINE", "LAB"])
def test_lines_beyond_65535_are_exact(check, convention: str) -> None:
    """libxml2 keeps lines in 16 bits; the response must still point at the right line."""
    records = [s.default_record(convention, i) for i in range(1, 7002)]
    last = records[-1]
    records.append(dataclasses.replace(s.default_record(convention, 7002), matricule=last.matricule))  # DUP-001
    records.append(
        dataclasses.replace(
            s.default_record(convention, 7003),
            matricule="1893120105733",  # MAT-004
            physician="10042118",
            prescribed_on=dt.date(2026, 10, 5),
            sampled_at="2026-10-03T08:15:00+02:00",
        )
    )
    data = s.build_request(s.Header(convention=convention), records)
    assert data.count(b"\n") > 70_000
    result = check(data, convention=convention)
    found = {(e["code"], e["chemin"]): e["ligne"] for e in result.errors()}
    dup, bad = "/Facturation/Enregistrement[7002]", "/Facturation/Enregistrement[7003]"
    assert found[("DUP-001", dup)] == line(data, '<Enregistrement id="7002"')
    assert found[("MAT-004", f"{bad}/Matricule")] == line(data, "<Matricule>1893120105733")
    assert found[("PRE-001", f"{bad}/Ordonnance/CodeMedecin")] == line(data, "<CodeMedecin>10042118")
    date_path = f"{bad}/Prelevement/@dateHeure" if convention == "LAB" else f"{bad}/Seance[1]/Date"
    needle = '<Prelevement dateHeure="2026-10-03' if convention == "LAB" else "<Seance>"
    expected = line(data, needle, 7003 if convention == "LAB" else 2 * 7002 + 1)
    assert found[("DAT-003", date_path)] == expected


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(b"<Matricule>", id="in-the-last-record"),
        pytest.param(b"<Autre>", id="in-an-element-before-it"),
    ],
)
def test_xml_003_long_text_after_other_records(check, where: bytes) -> None:
    records = [s.default_record("KINE", i) for i in (1, 2, 3)]
    data = kine(*records)
    last = data.rindex(b"<Enregistrement ")
    filler = b"x" * (10 * 2**20 + 1)
    if where == b"<Autre>":
        data = data[:last] + b"<Autre>" + filler + b"</Autre>\n  " + data[last:]
    else:
        at = data.index(b"<Matricule>", last) + len(b"<Matricule>")
        data = data[:at] + filler + data[at:]
    assert check(data).codes() == ["XML-003"]

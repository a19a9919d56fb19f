"""Writes the example request files and the responses the gateway gives them.

    .venv/bin/python -m tests.exchange.examples.generate

Each example is a folder: ``requests/`` holds the files a provider sends, judged in name
order (each seeing the ones before it), ``responses/`` the response to each. The test
tests/exchange/checks/test_examples.py checks that the gateway still answers exactly so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from gateway.exchange.checks.memory import MemoryHistory
from gateway.exchange.checks.model import Received
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.response import render_response
from gateway.exchange.runtime.reception import response_name_for
from tests.exchange import samples as s

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
TIMEZONE = "Europe/Luxembourg"
RECEIVED_AT = dt.datetime(2026, 11, 15, 8, 30, 2, tzinfo=dt.UTC)
#: uploader of every example: the code in the name (the spec's physiotherapist unless said)
UPLOADERS = {"LAB": "31000425", "KINE": "45001237", "DIET": "47000070"}

KINE = s.default_record("KINE", 1)
#: the folder of the README's tour
TOUR = "tour-kine"


def kine(*records: s.Record, **header: object) -> bytes:
    return s.build_request(s.Header(**header), list(records) or [KINE])


def acts(*items: s.Act, **changes: object) -> s.Record:
    return dataclasses.replace(KINE, acts=items, **changes)


def name(sequence: int = 1, convention: str = "KINE", stamp: str = "20261115093000") -> str:
    return s.file_name(convention, sequence=sequence, stamp=stamp)


def examples() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """(folder, [(request name, bytes), ...]) for every example."""
    for convention in ("LAB", "KINE", "DIET"):
        records = [s.default_record(convention, i) for i in (1, 2)]
        yield (
            f"valid-{convention.lower()}",
            [(name(convention=convention), s.build_request(s.Header(convention=convention), records))],
        )
    yield "valid-kine-test-mode", [(name(), kine(mode="TEST"))]
    # The README's tour: three files of the demo physiotherapist, meant to be sent in this
    # order (sequence 1, 2, 3, each its own IdFichier): accepted, partially accepted, rejected.
    yield (
        TOUR,
        [
            (name(1), kine(sequence=1, id_fichier="7a3e2b10-4c1d-4e8f-9b6a-000000000001")),
            (
                name(2),
                kine(
                    s.default_record("KINE", 2),
                    dataclasses.replace(s.default_record("KINE", 3), matricule="1893120105742"),
                    sequence=2,
                    id_fichier="7a3e2b10-4c1d-4e8f-9b6a-000000000002",
                ),
            ),
            (
                name(3),
                kine(
                    s.default_record("KINE", 4),
                    sequence=3,
                    id_fichier="7a3e2b10-4c1d-4e8f-9b6a-000000000003",
                    total=Decimal("1.00"),
                ),
            ),
        ],
    )
    yield "FIC-001-name", [("kine-octobre.xml", kine())]
    yield "FIC-002-empty", [(name(), b"")]
    yield "FIC-004-other-provider", [(s.file_name("KINE", provider="45001245"), kine())]
    yield "FIC-005-doublon", [(name(1), kine()), (name(2), kine())]
    yield "XML-001-not-well-formed", [(name(), kine().replace(b"</Matricule>", b"</Matricul>", 1))]
    yield "XML-001-latin-1", [(name(), kine().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'))]
    yield (
        "XML-002-dtd",
        [(name(), kine().replace(b"<Facturation", b'<!DOCTYPE Facturation [<!ENTITY e "x">]>\n<Facturation', 1))],
    )
    yield (
        "XML-002-late-doctype",
        [
            (
                name(),
                kine()
                .replace(
                    b"<Facturation",
                    b"<!--" + b" padding " * 8000 + b"-->\n"
                    b'<!DOCTYPE Facturation [<!ENTITY logiciel "KineSoft">]>\n<Facturation',
                    1,
                )
                .replace(b'nom="KineSoft"', b'nom="&logiciel;"', 1)
                .replace(b"<Matricule>", b"<Matricule>&logiciel;", 1),
            )
        ],
    )
    yield "XML-003-depth", [(name(), kine().replace(b"<Matricule>", b"<a>" * 260 + b"</a>" * 260 + b"<Matricule>", 1))]
    yield (
        "XSD-001-schema",
        [
            (
                name(),
                kine()
                .replace(f"<Matricule>{KINE.matricule}".encode(), b"<Matricule>18931201057", 1)
                .replace(b'reference="INV-000001"', b'reference="INV 000001"'),
            )
        ],
    )
    yield "XSD-002-namespace", [(name(), kine().replace(b"urn:cns:echange:kine:1", b"urn:cns:echange:kine:2"))]
    yield "XSD-003-version", [(name(), kine(version="2.0"))]
    yield (
        "XSD-004-cap",
        [(name(), kine(*[dataclasses.replace(s.default_record("KINE", i), matricule="1") for i in range(1, 1002)]))],
    )
    yield "ENT-001-code", [(name(), kine(provider="45001245"))]
    yield "ENT-002-sequence", [(name(3), kine(sequence=4))]
    yield "ENT-003-id-reused", [(name(1), kine(sequence=1)), (name(2), kine(s.default_record("KINE", 2), sequence=2))]
    yield (
        "ENT-004-sequence-not-greater",
        [
            (name(5), kine(sequence=5, id_fichier="00000000-0000-4000-8000-000000000005")),
            (
                name(5, stamp="20261115100000"),
                kine(s.default_record("KINE", 2), sequence=5, id_fichier="00000000-0000-4000-8000-000000000006"),
            ),
        ],
    )
    yield (
        "ENT-005-sequence-gap",
        [
            (name(5), kine(sequence=5, id_fichier="00000000-0000-4000-8000-000000000005")),
            (name(8), kine(s.default_record("KINE", 2), sequence=8, id_fichier="00000000-0000-4000-8000-000000000008")),
        ],
    )
    yield "ENT-006-count", [(name(), kine(count=3))]
    yield "ENT-007-total", [(name(), kine(total=Decimal("100.00")))]
    yield "ENT-008-future", [(name(), kine(created="2026-11-15T10:00:00+01:00"))]
    yield "ENT-009-period", [(name(), kine(start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 31)))]
    yield (
        "MAT-002-MAT-003-MAT-004-matricule",
        [
            (
                name(),
                kine(
                    acts(s.Act("K101"), matricule="1993130100145"),
                    dataclasses.replace(s.default_record("KINE", 2), matricule="1893120105742"),
                    dataclasses.replace(s.default_record("KINE", 3), matricule="1893120105733"),
                    s.default_record("KINE", 4),
                ),
            )
        ],
    )
    yield (
        "MAT-005-born-after-act",
        [(name(), kine(acts(s.Act("K101"), matricule=s.make_matricule(dt.date(2026, 10, 4), 7))))],
    )
    yield "PRE-001-physician", [(name(), kine(acts(s.Act("K101"), physician="10042118")))]
    yield (
        "DAT-001-DAT-003-dates",
        [
            (
                name(),
                kine(
                    acts(
                        s.Act("K101", date=dt.date(2026, 9, 29)),
                        s.Act("K101", date=dt.date(2026, 10, 2)),
                        prescribed_on=dt.date(2026, 9, 30),
                    )
                ),
            )
        ],
    )
    yield (
        "DAT-002-after-receipt",
        [
            (
                name(),
                kine(
                    acts(s.Act("K101", date=dt.date(2026, 11, 16)), prescribed_on=dt.date(2026, 11, 1)),
                    start=dt.date(2026, 11, 1),
                    end=dt.date(2026, 11, 15),
                ),
            )
        ],
    )
    yield (
        "DAT-004-late-start",
        [(name(), kine(acts(s.Act("K101", date=dt.date(2026, 10, 3)), prescribed_on=dt.date(2026, 7, 1))))],
    )
    yield "NOM-001-NOM-002-codes", [(name(), kine(acts(s.Act("K555"), s.Act("K099", amount=Decimal("28.00")))))]
    yield "NOM-003-quantity", [(name(), kine(acts(s.Act("K401", quantity=2, amount=Decimal("97.80")))))]
    yield (
        "MNT-001-MNT-002-amounts",
        [(name(), kine(acts(s.Act("K101", amount=Decimal("30.00")), total=Decimal("31.00"))))],
    )
    yield (
        "LAB-001-home-sampling",
        [
            (
                name(convention="LAB"),
                s.build_request(
                    s.Header(convention="LAB"),
                    [dataclasses.replace(s.default_record("LAB", 1), acts=(s.Act("L0101"), s.Act("L0901")))],
                ),
            )
        ],
    )
    yield "KIN-001-sessions", [(name(), kine(acts(s.Act("K101", quantity=3), prescribed_sessions=2)))]
    yield (
        "DIE-001-dietitian",
        [
            (
                name(convention="DIET"),
                s.build_request(
                    s.Header(convention="DIET"),
                    [dataclasses.replace(s.default_record("DIET", 1), acts=(s.Act("D102", performer="45001237"),))],
                ),
            )
        ],
    )
    yield (
        "DUP-001-same-act-twice",
        [(name(), kine(KINE, dataclasses.replace(s.default_record("KINE", 2), matricule=KINE.matricule)))],
    )
    yield (
        "DUP-002-already-accepted",
        [
            (name(1), kine(sequence=1)),
            (
                name(2),
                kine(KINE, s.default_record("KINE", 2), sequence=2, id_fichier="00000000-0000-4000-8000-000000000002"),
            ),
        ],
    )


def answer(checker: Checker, folder: Path) -> dict[str, bytes]:
    """The responses to ``folder/requests/*`` judged in name order; name -> response bytes."""
    history = MemoryHistory()
    responses = {}
    for index, path in enumerate(sorted((folder / "requests").iterdir())):
        data = path.read_bytes()
        convention = path.name.split("_")[0]
        uploader = UPLOADERS.get(convention, UPLOADERS["KINE"])
        received_at = RECEIVED_AT + dt.timedelta(minutes=index)
        received = Received(
            name=path.name,
            provider_code=uploader,
            profession=convention if convention in UPLOADERS else "KINE",
            received_at=received_at,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            path=path,
        )
        outcome = checker.check(received, history)
        history.remember(outcome)
        responses[response_name_for(path.name)] = render_response(outcome, processed_at=received_at, timezone=TIMEZONE)
    return responses


def main() -> None:
    checker = Checker(REPO / "schemas", timezone=TIMEZONE, max_file_bytes=52428800)
    for folder_name, requests in examples():
        folder = HERE / folder_name
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "requests").mkdir(parents=True)
        (folder / "responses").mkdir()
        for request_name, data in requests:
            (folder / "requests" / request_name).write_bytes(data)
        for response_name, data in answer(checker, folder).items():
            (folder / "responses" / response_name).write_bytes(data)


if __name__ == "__main__":
    main()

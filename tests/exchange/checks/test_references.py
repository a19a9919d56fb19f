"""Schema versions and nomenclatures in force on the day of receipt; reloads; shared checkers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.references import ReferenceError_
from tests.exchange import samples as s
from tests.support import wait_until

from .conftest import TIMEZONE

UTC = dt.UTC


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def add_version_1_1(schemas: Path) -> None:
    """KINE 1.1 from 2026-11-01, 1.0 accepted until 2026-11-30."""
    text = (schemas / "kine-1.0.xsd").read_text().replace('fixed="1.0"', 'fixed="1.1"')
    (schemas / "kine-1.1.xsd").write_text(text)
    registry = (schemas / "versions.toml").read_text()
    registry = registry.replace(
        'file = "kine-1.0.xsd"\nfrom = 2020-01-01\n', 'file = "kine-1.0.xsd"\nfrom = 2020-01-01\nuntil = 2026-11-30\n'
    )
    registry += '\n[[schema]]\nconvention = "KINE"\nversion = "1.1"\nfile = "kine-1.1.xsd"\nfrom = 2026-11-01\n'
    (schemas / "versions.toml").write_text(registry)


@pytest.mark.parametrize(
    ("version", "received_at", "accepted"),
    [
        pytest.param("1.0", dt.datetime(2026, 11, 15, 9, tzinfo=UTC), True, id="1.0-in-transition"),
        pytest.param("1.1", dt.datetime(2026, 11, 15, 9, tzinfo=UTC), True, id="1.1-in-transition"),
        pytest.param("1.0", dt.datetime(2026, 11, 30, 22, 59, tzinfo=UTC), True, id="1.0-last-day-local"),
        pytest.param("1.0", dt.datetime(2026, 11, 30, 23, 1, tzinfo=UTC), False, id="1.0-after-window-local"),
        pytest.param("1.1", dt.datetime(2026, 10, 31, 22, 59, tzinfo=UTC), False, id="1.1-before-window"),
    ],
)
def test_versions_side_by_side(
    check, schemas_copy: Path, version: str, received_at: dt.datetime, accepted: bool
) -> None:
    add_version_1_1(schemas_copy)
    checker = Checker(schemas_copy, timezone=TIMEZONE, max_file_bytes=52428800)
    record = dataclasses.replace(
        s.default_record("KINE", 1),
        acts=(s.Act("K101", date=dt.date(2026, 10, 30)),),
        prescribed_on=dt.date(2026, 10, 20),
    )
    data = s.build_request(
        s.Header(
            version=version, start=dt.date(2026, 10, 15), end=dt.date(2026, 10, 31), created="2026-10-31T12:00:00+01:00"
        ),
        [record],
    )
    result = check(data, received_at=received_at, use=checker)
    assert (result.status == "ACCEPTE") == accepted, result.errors()
    if not accepted:
        assert result.codes() == ["XSD-003"]


def test_nomenclature_in_force_on_the_day_of_receipt(check, schemas_copy: Path) -> None:
    rows = (
        (schemas_copy / "nomenclature.csv")
        .read_text()
        .replace("KINE,K101,Séance de kinésithérapie,30.85", "KINE,K101,Séance de kinésithérapie,32.00")
    )
    (schemas_copy / "nomenclature-2026-12.csv").write_text(rows)
    with (schemas_copy / "versions.toml").open("a") as handle:
        handle.write('\n[[nomenclature]]\nfile = "nomenclature-2026-12.csv"\nfrom = 2026-12-01\n')
    checker = Checker(schemas_copy, timezone=TIMEZONE, max_file_bytes=52428800)
    data = s.build_request(s.Header(), [s.default_record("KINE", 1)])
    assert check(data, use=checker).status == "ACCEPTE"
    later = check(data, use=checker, received_at=dt.datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert later.codes() == ["MNT-001", "MNT-001"]  # 30.85 was the tariff until 30 November


def test_changes_are_picked_up_without_restart(check, schemas_copy: Path) -> None:
    checker = Checker(schemas_copy, timezone=TIMEZONE, max_file_bytes=52428800)
    data = s.build_request(s.Header(), [s.default_record("KINE", 1)])
    assert check(data, use=checker).status == "ACCEPTE"
    listing = schemas_copy / "nomenclature.csv"
    listing.write_text("\n".join(line for line in listing.read_text().splitlines() if ",K101," not in line) + "\n")
    _touch_later(listing)
    wait_until(lambda: check(data, use=checker).codes() == ["NOM-001", "NOM-001"], timeout_s=5)


def test_a_broken_edit_keeps_the_previous_references(check, schemas_copy: Path) -> None:
    checker = Checker(schemas_copy, timezone=TIMEZONE, max_file_bytes=52428800)
    data = s.build_request(s.Header(), [s.default_record("KINE", 1)])
    (schemas_copy / "versions.toml").write_text("this is = not [valid")
    _touch_later(schemas_copy / "versions.toml")
    for _ in range(3):
        assert check(data, use=checker).status == "ACCEPTE"


def test_an_unusable_schemas_folder_is_refused_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ReferenceError_):
        Checker(tmp_path, timezone=TIMEZONE, max_file_bytes=1000)


def test_day_of_receipt_is_local(check) -> None:
    # 23:30 UTC on 31 October is 1 November in Luxembourg: a period ending on 1 November is fine.
    record = dataclasses.replace(
        s.default_record("KINE", 1),
        acts=(s.Act("K101", date=dt.date(2026, 11, 1)),),
        prescribed_on=dt.date(2026, 10, 20),
    )
    data = s.build_request(
        s.Header(start=dt.date(2026, 10, 15), end=dt.date(2026, 11, 1), created="2026-10-31T23:00:00+01:00"), [record]
    )
    assert check(data, received_at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC)).status == "ACCEPTE"
    assert check(data, received_at=dt.datetime(2026, 10, 31, 22, 30, tzinfo=UTC)).codes() == ["ENT-009"]


def test_threads_share_one_checker(checker: Checker, check) -> None:
    files = {
        "ok": s.build_request(s.Header(), [s.default_record("KINE", i) for i in range(1, 30)]),
        "bad": s.build_request(
            s.Header(), [dataclasses.replace(s.default_record("KINE", i), matricule="12") for i in range(1, 30)]
        ),
        "partial": s.build_request(
            s.Header(),
            [
                s.default_record("KINE", 1),
                dataclasses.replace(s.default_record("KINE", 2), acts=(s.Act("K101", amount=Decimal("1.00")),)),
            ],
        ),
    }
    expected = {key: check(data).response for key, data in files.items()}
    failures: list[str] = []

    def work() -> None:
        for _ in range(5):
            for key, data in files.items():
                if check(data).response != expected[key]:
                    failures.append(key)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_same_outcome_same_bytes(check) -> None:
    data = s.build_request(s.Header(), [s.default_record("KINE", 1)])
    assert check(data).response == check(data).response


def test_a_schema_of_a_convention_missing_from_the_registry_is_refused(schemas_copy: Path) -> None:
    """A convention needs its registry record before its schema can be used (docs/architecture.md)."""
    registry = (schemas_copy / "versions.toml").read_text()
    (schemas_copy / "versions.toml").write_text(
        registry + '\n[[schema]]\nconvention = "ORTHO"\nversion = "1.0"\nfile = "kine-1.0.xsd"\nfrom = 2020-01-01\n'
    )
    with pytest.raises(ReferenceError_, match="'ORTHO' is not in the registry"):
        Checker(schemas_copy, timezone=TIMEZONE, max_file_bytes=1000)

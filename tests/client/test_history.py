"""Numbering and the local history: what the client takes the server to know."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.client.history import LocalHistory, next_sequence
from gateway.client.store import LocalAct, LocalRequest, LocalResponse, LocalResponseRecord
from gateway.exchange.checks.model import ActKey
from gateway.store.db import transaction

from .conftest import NOW

CODE = "45001237"


def add_file(
    sessions,
    sequence: int,
    *,
    mode: str = "PRODUCTION",
    status: str | None = None,
    rejected_records: tuple[int, ...] = (),
    convention: str = "KINE",
    acts=(),
) -> str:
    """A file made (and answered with ``status`` when given), as make-request and import record it."""
    name = f"{convention}_FACT_{CODE}_20261115093000_{sequence:06d}.xml"
    sha = f"{sequence:064d}"
    with transaction(sessions) as session:
        request = LocalRequest(
            name=name,
            provider_code=CODE,
            convention=convention,
            mode=mode,
            sequence=sequence,
            id_fichier=f"00000000-0000-4000-8000-{sequence:012d}",
            sha256=sha,
            size=100,
            record_count=2,
            amount=Decimal("61.70"),
            made_at=NOW,
            pushed_at=NOW,
        )
        for record_id, matricule, code, date in acts:
            request.acts.append(
                LocalAct(
                    record_id=record_id,
                    reference=f"R{record_id}",
                    matricule=matricule,
                    code=code,
                    act_date=dt.date.fromisoformat(date),
                )
            )
        session.add(request)
        if status is not None:
            response = LocalResponse(
                name=name.replace(".xml", "_REP.xml"),
                sha256=f"{sequence + 1:064d}",
                request_name=name,
                status=status,
                mode=mode,
                request_sha256=sha,
                received_at=NOW,
                processed_at=NOW,
                source="test",
                imported_at=NOW,
            )
            for record_id in (1, 2):
                response.records.append(
                    LocalResponseRecord(
                        position=record_id,
                        record_id=record_id,
                        reference=f"R{record_id}",
                        status="REJETE" if record_id in rejected_records else "ACCEPTE",
                    )
                )
            session.add(response)
    return name


def sequence_after(sessions) -> int:
    with sessions() as session:
        return next_sequence(session, CODE, "KINE")


def test_first_file_takes_number_one(local_db):
    assert sequence_after(local_db) == 1


@pytest.mark.parametrize(
    "files, expected",
    [
        pytest.param([(1, "ACCEPTE"), (2, None)], 3, id="pending-file-holds-its-number"),
        pytest.param([(1, "ACCEPTE"), (2, "PARTIELLEMENT_ACCEPTE")], 3, id="partly-accepted-uses-it"),
        pytest.param([(1, "ACCEPTE"), (2, "REJETE")], 2, id="rejected-file-frees-its-number"),
        pytest.param([(1, "ACCEPTE"), (2, "DOUBLON")], 2, id="duplicate-frees-its-number"),
        pytest.param([(40, "ACCEPTE"), (41, "REJETE"), (42, None)], 43, id="pending-after-rejected"),
    ],
)
def test_next_number_follows_the_standing_production_files(local_db, files, expected):
    for sequence, status in files:
        add_file(local_db, sequence, status=status)
    assert sequence_after(local_db) == expected


def test_test_files_and_other_conventions_take_no_number(local_db):
    add_file(local_db, 7, mode="TEST")
    add_file(local_db, 9, convention="DIET")
    assert sequence_after(local_db) == 1
    with local_db() as session:
        assert LocalHistory(session).last_sequence(CODE, "KINE") is None


def test_history_answers_as_the_server_would(local_db):
    act = ("1893120105732", "K101", "2026-10-03")
    other = ("1983081246785", "K101", "2026-10-08")
    add_file(local_db, 1, status="PARTIELLEMENT_ACCEPTE", rejected_records=(2,), acts=[(1, *act), (2, *other)])
    add_file(local_db, 2, status="REJETE", acts=[(1, "2012051469331", "K201", "2026-10-09")])
    session = local_db()
    history = LocalHistory(session)
    asked = frozenset({ActKey(*act), ActKey(*other), ActKey("2012051469331", "K201", "2026-10-09")})
    # only the accepted record's act counts: the rejected record and the rejected file do not
    assert history.accepted_acts(CODE, asked) == {ActKey(*act)}
    assert history.accepted_acts("45000010", asked) == frozenset()
    assert history.last_sequence(CODE, "KINE") == 1
    assert history.id_fichier_used(CODE, "00000000-0000-4000-8000-000000000001")
    assert not history.id_fichier_used(CODE, "00000000-0000-4000-8000-000000000002")
    assert history.identical_file(CODE, f"{2:064d}").name.endswith("_000002.xml")
    session.close()

"""The database history: what earlier files count for, voided files, TEST files, the act key."""

from __future__ import annotations

import datetime as dt
import stat

from gateway.exchange.checks.model import ActKey
from gateway.exchange.runtime.history import DatabaseHistory, load_act_key
from gateway.exchange.runtime.void import void_file
from gateway.store.db import transaction
from gateway.store.models.exchange import RequestFile
from tests.exchange import samples
from tests.exchange.runtime.conftest import KINE, LAB, process_all, request


def history(rt, before_id=None) -> DatabaseHistory:
    return DatabaseHistory(rt.sessions, act_key=rt.act_key, before_id=before_id)


def acts_of(convention: str = "KINE", index: int = 1) -> frozenset[ActKey]:
    """The act keys of the sample record ``index`` (what DUP-002 compares)."""
    record = samples.default_record(convention, index)
    return frozenset(
        ActKey(record.matricule, act.code, (act.date or dt.date(2026, 10, 3)).isoformat()) for act in record.acts
    )


def test_accepted_production_files_count_and_voided_ones_do_not(runtime):
    name, data = request("KINE", sequence=7)
    first = runtime.deposit(KINE, name, data)
    process_all(runtime)
    row = runtime.rows()[0]
    acts = acts_of()
    h = history(runtime)
    assert h.identical_file(KINE, row.sha256).name == name
    assert h.last_sequence(KINE, "KINE") == 7 and h.last_sequence(KINE, "LAB") is None
    assert h.id_fichier_used(KINE, row.id_fichier) and not h.id_fichier_used(LAB, row.id_fichier)
    assert h.accepted_acts(KINE, acts) == acts and h.accepted_acts(LAB, acts) == frozenset()
    # a file never sees itself or anything after it
    assert history(runtime, before_id=first).identical_file(KINE, row.sha256) is None
    void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="test", actor="cli")
    assert h.identical_file(KINE, row.sha256) is None
    assert h.last_sequence(KINE, "KINE") is None and not h.id_fichier_used(KINE, row.id_fichier)
    assert h.accepted_acts(KINE, acts) == frozenset()


def test_test_files_count_only_as_doublons(runtime):
    name, data = request("KINE", sequence=3, mode="TEST")
    runtime.deposit(KINE, name, data)
    process_all(runtime)
    row = runtime.rows()[0]
    h = history(runtime)
    assert h.identical_file(KINE, row.sha256) is not None
    assert h.last_sequence(KINE, "KINE") is None and not h.id_fichier_used(KINE, row.id_fichier)
    assert h.accepted_acts(KINE, acts_of()) == frozenset()


def test_the_act_key_is_generated_once_and_kept_private(tmp_path):
    key = load_act_key(tmp_path)
    assert len(key) == 32 and load_act_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "exchange-act.key").stat().st_mode) == 0o600
    assert load_act_key(tmp_path, "configured secret") == b"configured secret"


def _answered(rt, *files: tuple[int, str, str | None]) -> list[int]:
    """Rows of answered KINE files of KINE: (sequence, status, voided?) each; returns their ids."""
    now = dt.datetime.now(dt.UTC)
    with transaction(rt.sessions) as session:
        rows = [
            RequestFile(
                provider_code=KINE,
                name=samples.file_name("KINE", KINE, n),
                response_name=samples.file_name("KINE", KINE, n).replace(".xml", "_REP.xml"),
                source="sftp",
                state="ANSWERED",
                received_at=now,
                size=1,
                sha256=f"{n:064x}",
                stored_at=f"archive:{n}",
                status=status,
                mode="PRODUCTION",
                convention="KINE",
                id_fichier=f"id-{n}",
                sequence=sequence,
                voided_at=now if voided else None,
                collected_at=now,
            )
            for n, (sequence, status, voided) in enumerate(files, start=1)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_the_last_sequence_is_the_highest_counting_one_before_the_file(runtime):
    ids = _answered(
        runtime,
        (4, "ACCEPTE", None),
        (9, "PARTIELLEMENT_ACCEPTE", None),
        (12, "REJETE", None),  # a refused file uses up no number
        (15, "ACCEPTE", "voided"),  # nor does a voided one
        (11, "ACCEPTE", None),
    )
    assert history(runtime).last_sequence(KINE, "KINE") == 11
    assert history(runtime, before_id=ids[4]).last_sequence(KINE, "KINE") == 9  # the file sees only earlier ones
    assert history(runtime, before_id=ids[1]).last_sequence(KINE, "KINE") == 4
    assert history(runtime, before_id=ids[0]).last_sequence(KINE, "KINE") is None
    assert history(runtime).last_sequence(KINE, "LAB") is None

"""The database history: what earlier files count for, voided files, TEST files, the act key."""

from __future__ import annotations

import datetime as dt
import stat

from gateway.exchange.checks.model import ActKey
from gateway.exchange.runtime.history import DatabaseHistory, load_act_key
from gateway.exchange.runtime.void import void_file
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

"""Group commit of registrations: one batch, several files, one of them with a held name."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select

from gateway.clock import SystemClock
from gateway.exchange.runtime.reception import NameHeld
from gateway.sftp.errors import ReceptionFailed
from gateway.sftp.registrar import Registrar, Registration
from gateway.sftp.session import Who
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import FileState, RequestFile


def who(code: str) -> Who:
    return Who(
        provider_code=code,
        profession="LAB",
        address="127.0.0.1",
        session_id="s1",
        method="publickey",
        key_fingerprint="SHA256:x",
        started_at=dt.datetime.now(dt.UTC),
    )


def registration(code: str, name: str) -> Registration:
    return Registration(who=who(code), name=name, size=10, sha256="0" * 64, started=time.monotonic(), kind="upload")


def names_registered(sessions) -> list[tuple[str, str]]:
    with sessions() as session:
        return sorted(session.execute(select(RequestFile.name, RequestFile.state)).all())


def test_a_batch_is_registered_with_its_audit_events(sessions, provider, make_provider):
    other = make_provider("LAB")
    batch = [
        registration(provider.code, "A_1.xml"),
        registration(provider.code, "A_2.xml"),
        registration(other.code, "A_1.xml"),
    ]
    Registrar(sessions, SystemClock())._commit(batch)
    assert [item.error for item in batch] == [None, None, None]
    assert len({item.request_id for item in batch}) == 3
    with sessions() as session:
        rows = {row.id: row for row in session.scalars(select(RequestFile))}
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "sftp.upload")).all()
    for item in batch:  # each id is the row of its own file
        row = rows[item.request_id]
        assert (row.provider_code, row.name, row.state) == (item.who.provider_code, item.name, FileState.RECEIVED)
        assert row.response_name == item.name.removesuffix(".xml") + "_REP.xml"
    assert sorted((e.actor, e.target_id) for e in audited) == sorted((item.who.actor, item.name) for item in batch)
    assert all(e.detail["bytes"] == 10 and e.detail["sftp_session"] == "s1" for e in audited)


def test_a_held_name_refuses_that_file_only(sessions, provider):
    registrar = Registrar(sessions, SystemClock())
    first = registration(provider.code, "B_1.xml")
    registrar._commit([first])
    batch = [
        registration(provider.code, "B_2.xml"),
        registration(provider.code, "B_1.xml"),
        registration(provider.code, "B_3.xml"),
    ]
    registrar._commit(batch)
    assert batch[0].request_id and batch[2].request_id
    assert isinstance(batch[1].error, NameHeld) and batch[1].request_id is None
    assert [name for name, _state in names_registered(sessions)] == ["B_1.xml", "B_2.xml", "B_3.xml"]
    with sessions() as session:
        audited = session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "sftp.upload")).all()
    assert sorted(audited) == ["B_1.xml", "B_2.xml", "B_3.xml"]  # the refused one is not audited as received


def test_concurrent_callers_each_get_their_own_answer(sessions, provider):
    registrar = Registrar(sessions, SystemClock())
    answers: dict[str, list[object]] = {f"C_{i}.xml": [] for i in range(10)}

    def one(name: str) -> None:
        try:
            answers[name].append(registrar.register(registration(provider.code, name)))
        except NameHeld as exc:
            answers[name].append(exc)

    threads = [threading.Thread(target=one, args=(f"C_{i % 10}.xml",)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for name, got in answers.items():  # each name twice: one is registered, the other held
        assert sorted(type(a).__name__ for a in got) == ["NameHeld", "int"], name
    assert len(names_registered(sessions)) == 10


def test_a_lone_registration_is_committed_in_the_callers_thread(sessions, provider):
    registrar = Registrar(sessions, SystemClock())
    before = {thread.ident for thread in threading.enumerate()}
    request_id = registrar.register(registration(provider.code, "D_1.xml"))
    assert {thread.ident for thread in threading.enumerate()} <= before  # no thread was started for it
    with sessions() as session:
        assert session.get(RequestFile, request_id).name == "D_1.xml"


def test_a_failed_commit_refuses_its_files_and_leaves_no_caller_waiting(tmp_path, provider):
    # a real database without the tables: every commit fails
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    registrar = Registrar(make_session_factory(engine), SystemClock())
    answers: list[object] = []

    def one(name: str) -> None:
        try:
            answers.append(registrar.register(registration(provider.code, name)))
        except ReceptionFailed as exc:
            answers.append(exc)

    threads = [threading.Thread(target=one, args=(f"E_{i}.xml",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(answers) == 12 and all(isinstance(a, ReceptionFailed) for a in answers)
    with pytest.raises(ReceptionFailed):  # the lead was handed back: a later caller is answered too
        registrar.register(registration(provider.code, "E_last.xml"))
    engine.dispose()

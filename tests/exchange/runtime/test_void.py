"""Voiding a file: it counts for nothing afterwards, its records are withdrawn; then a resend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.errors import NotFound, UsageError
from gateway.exchange.errors import VoidRefused
from gateway.exchange.runtime.reception import mark_collected, response_name_for
from gateway.exchange.runtime.void import record_file_view, void_file
from gateway.store.db import transaction
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import ForwardedRecord
from tests.exchange.runtime.conftest import KINE, process_all, request
from tests.support import run_gateway


def exported(rt) -> list[ForwardedRecord]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(ForwardedRecord).where(ForwardedRecord.withdrawn_at.is_(None)).order_by(ForwardedRecord.id)
            )
        )


def test_a_voided_file_can_be_sent_again_and_counts_for_nothing(runtime):
    name, data = request("KINE", sequence=1, records=2)
    runtime.deposit(KINE, name, data)
    process_all(runtime)
    first_ids = [r.id for r in exported(runtime)]
    voided = void_file(
        runtime.sessions, provider_code=KINE, file_name=name, reason="wrong tariff table", actor="staff:alice"
    )
    assert voided.withdrawn == 2 and exported(runtime) == []
    with transaction(runtime.sessions) as session:  # the provider collects the response: the name is free
        assert mark_collected(session, KINE, response_name_for(name), utcnow())
    runtime.deposit(KINE, name, data)  # same bytes, same IdFichier, same sequence, same acts
    (result,) = process_all(runtime)
    assert result.status == "ACCEPTE" and result.forwarded == 2
    assert min(r.id for r in exported(runtime)) > max(first_ids)
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "exchange.void")).one()
    assert event.actor == "staff:alice" and event.detail["reason"] == "wrong tariff table"


def test_void_refuses_what_it_cannot_do(runtime):
    name, data = request("KINE")
    runtime.deposit(KINE, name, data)
    with pytest.raises(UsageError):
        void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="  ", actor="cli")
    with pytest.raises(VoidRefused):  # not answered yet
        void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="x", actor="cli")
    with pytest.raises(NotFound):
        void_file(runtime.sessions, provider_code=KINE, file_name="nothing.xml", reason="x", actor="cli")
    process_all(runtime)
    void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="x", actor="cli")
    with pytest.raises(VoidRefused):
        void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="again", actor="cli")


def test_staff_views_of_a_file_are_audited(runtime):
    file_id = runtime.deposit(KINE, *request("KINE"))
    record_file_view(runtime.sessions, file_id=file_id, actor="staff:bob", address="192.0.2.7", what="response")
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "exchange.view")).one()
    assert (event.actor, event.target_id, event.address, event.detail["what"]) == (
        "staff:bob",
        str(file_id),
        "192.0.2.7",
        "response",
    )


def test_void_and_export_from_the_command_line(project, runtime):
    name, data = request("KINE", records=3)
    runtime.deposit(KINE, name, data)
    process_all(runtime)
    done = run_gateway(
        "exchange", "void", name, "--provider", KINE, "--reason", "sent by mistake", config=project.config
    )
    assert done.returncode == 0, done.stderr
    assert "3 forwarded record(s) withdrawn" in done.stdout
    again = run_gateway("exchange", "void", name, "--provider", KINE, "--reason", "twice", config=project.config)
    assert again.returncode == 1 and "EXC-VOID-ALREADY" in again.stderr
    after = run_gateway("forwarded", "export", "--format", "jsonl", config=project.config)
    assert after.returncode == 0 and after.stdout == ""
    assert exported(runtime) == []
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "exchange.void")).one()
    assert event.actor.startswith("cli") and event.detail["reason"] == "sent by mistake"

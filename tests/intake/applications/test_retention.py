"""Retention (spec/intake.md section 7): dossiers deleted two years after close."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.intake.errors import FollowupInvalid
from gateway.intake.retention import purge_intake
from gateway.store.models.audit import AuditEvent
from tests.intake.applications.conftest import complete_application


def purge(sessions, tmp_path, now, dry_run=False):
    return purge_intake(
        sessions,
        applications_root=tmp_path / "providers" / "applications",
        now=now,
        retention_days=730,
        dry_run=dry_run,
    )


def test_dossiers_go_two_years_after_close(service, sessions, tmp_path, clock):
    closed = complete_application(service)
    code = service.decisions.approve(closed, actor="staff:m").provider_code
    open_one = complete_application(service)
    token = service.issue_followup(closed, actor="staff:m")
    folder = tmp_path / "providers" / "applications" / closed
    assert len(list(folder.iterdir())) == 8  # six documents, final report as JSON and PDF

    clock.advance(730 * 86400 - 1)
    assert purge(sessions, tmp_path, clock.now()).applications == ()

    clock.advance(1)
    dry = purge(sessions, tmp_path, clock.now(), dry_run=True)
    assert [(a.reference, a.documents, a.files) for a in dry.applications] == [(closed, 6, 8)]
    assert folder.is_dir()

    done = purge(sessions, tmp_path, clock.now())
    assert [a.reference for a in done.applications] == [closed] and not folder.exists()
    view = service.get(closed)
    assert view.documents == () and view.data.iban == "" and view.data.establishment_name == ""
    assert (view.provider_code, view.outcome, len(view.history)) == (code, "CODE_ATTRIBUE", 3)
    assert view.purged_at == clock.now()
    with pytest.raises(FollowupInvalid):
        service.by_followup(token)
    # the open application is untouched, and a second purge finds nothing more
    assert len(service.get(open_one).documents) == 6
    assert purge(sessions, tmp_path, clock.now()).applications == ()
    with sessions() as session:
        assert session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "intake.purge")).all() == [
            closed
        ]


def test_abandoned_drafts_go_too(service, sessions, tmp_path, clock):
    draft = complete_application(service, submit=False)
    clock.advance(731 * 86400)
    assert [a.reference for a in purge(sessions, tmp_path, clock.now()).applications] == [draft]
    assert service.get(draft).status == "EN_PREPARATION"
    assert service.get(draft).documents == ()


def test_a_purge_interrupted_after_the_files_went_is_finished_next_time(service, sessions, tmp_path, clock):
    import shutil

    reference = complete_application(service)
    service.decisions.refuse(reference, "raison", actor="staff:m")
    clock.advance(800 * 86400)
    shutil.rmtree(tmp_path / "providers" / "applications" / reference)  # files gone, rows not yet marked
    (purged,) = purge(sessions, tmp_path, clock.now()).applications
    assert (purged.reference, purged.files, purged.documents) == (reference, 0, 6)
    assert service.get(reference).purged_at is not None

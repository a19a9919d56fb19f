"""Follow-up links: only a hash is stored; they expire after close + 90 days; staff revoke them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gateway.intake.errors import FollowupInvalid
from gateway.intake.followup import hash_token
from gateway.store.models.intake import FollowupToken
from tests.intake.applications.conftest import complete_application, valid_data


def test_token_opens_its_application_and_only_its_hash_is_stored(service, sessions):
    created = service.create(valid_data(), actor="applicant")
    token = created.followup_token
    assert len(token) >= 40
    assert service.by_followup(token).reference == created.application.reference
    with sessions() as session:
        stored = list(session.scalars(select(FollowupToken.token_hash)))
    assert stored == [hash_token(token)] and token not in stored


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 43, id="unknown"),
    ],
)
def test_unknown_tokens(service, token):
    service.create(actor="applicant")
    with pytest.raises(FollowupInvalid):
        service.by_followup(token)


def test_link_expires_90_days_after_close(service, clock):
    created = service.create(valid_data(), actor="applicant")
    clock.advance(400 * 86400)  # an open application's link does not expire
    assert service.by_followup(created.followup_token)
    service.decisions.withdraw(created.application.reference, actor="applicant")
    clock.advance(90 * 86400 - 1)
    assert service.by_followup(created.followup_token).status == "CLOTUREE"
    clock.advance(1)
    with pytest.raises(FollowupInvalid):
        service.by_followup(created.followup_token)


def test_staff_revoke_every_link(service):
    reference = complete_application(service)
    created_token = service.issue_followup(reference, actor="staff:m")
    assert service.by_followup(created_token)
    assert service.revoke_followups(reference, actor="staff:m") == 3  # creation, submission, this one
    with pytest.raises(FollowupInvalid):
        service.by_followup(created_token)
    fresh = service.issue_followup(reference, actor="staff:m")  # a new link works again
    assert service.by_followup(fresh).reference == reference


def test_expiry_is_measured_from_the_close(service, clock):
    created = service.create(valid_data(), actor="applicant")
    service.decisions.withdraw(created.application.reference, actor="applicant")
    closed = service.get(created.application.reference).closed_at
    assert closed == clock.now()
    clock.set(closed + dt.timedelta(days=89))
    assert service.by_followup(created.followup_token)

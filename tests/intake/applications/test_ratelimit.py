"""Hourly limits of the public form per address."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.intake.errors import RateLimited
from gateway.intake.ratelimit import Action, hit, prune
from gateway.store.db import transaction
from tests.intake.applications.conftest import START


def test_limit_per_address_and_action_within_the_hour(sessions):
    for n in range(3):
        assert hit(sessions, address="192.0.2.7", action=Action.APPLICATION, limit=3, now=START) == 2 - n
    with pytest.raises(RateLimited) as caught:
        hit(sessions, address="192.0.2.7", action=Action.APPLICATION, limit=3, now=START + dt.timedelta(minutes=59))
    assert caught.value.code == "INT-RATE"
    # another address, another action: counted apart
    hit(sessions, address="192.0.2.8", action=Action.APPLICATION, limit=3, now=START)
    hit(sessions, address="192.0.2.7", action=Action.UPLOAD, limit=3, now=START)
    # an hour later the first ones no longer count
    assert (
        hit(sessions, address="192.0.2.7", action=Action.APPLICATION, limit=3, now=START + dt.timedelta(hours=1)) == 2
    )


def test_prune_drops_only_events_outside_the_window(sessions):
    hit(sessions, address="a", action=Action.UPLOAD, limit=9, now=START)
    hit(sessions, address="a", action=Action.UPLOAD, limit=9, now=START + dt.timedelta(minutes=30))
    with transaction(sessions) as session:
        assert prune(session, START + dt.timedelta(minutes=61)) == 1

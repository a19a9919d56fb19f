"""Dashboard figures on both databases: local days, hours around midnight, voided files."""

from __future__ import annotations

import datetime as dt

from gateway.store.db import transaction
from gateway.store.models.exchange import RequestFile
from gateway.web import stats
from tests.web.data import add_file

ZONE = "Europe/Luxembourg"


def test_files_are_counted_on_their_local_day(site):
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    # 23:30 UTC on the 20th is 00:30 on the 21st in Luxembourg (UTC+1 in November).
    late = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC)
    ids = [
        add_file(site, name=f"KINE_FACT_45001237_20261120000000_{900000 + n:06d}.xml", received_at=at, status=status)
        for n, (at, status) in enumerate([(late, "REJETE"), (late, "ACCEPTE"), (early, "ACCEPTE"), (early, "REJETE")])
    ]
    with transaction(site.sessions) as session:  # a voided file counts for nothing
        session.get(RequestFile, ids[3]).voided_at = now
    with site.sessions() as session:
        days = {d.day: d for d in stats.per_day(session, now, 30, ZONE)}
    assert (days[dt.date(2026, 11, 21)].files, days[dt.date(2026, 11, 21)].rejected) == (2, 1)
    assert (days[dt.date(2026, 11, 20)].files, days[dt.date(2026, 11, 20)].rejected) == (1, 0)
    assert days[dt.date(2026, 11, 21)].rejection_rate == 0.5
    assert len(days) == 30 and max(days) == dt.date(2026, 11, 23)

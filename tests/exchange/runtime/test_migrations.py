"""exchange_0003: record ids of any length, and forwarded ids still never reused after the change."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import delete, insert, select

from gateway.store import schema
from gateway.store.db import make_engine
from gateway.store.models.accounts import Provider
from gateway.store.models.exchange import ForwardedRecord, RequestFile

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _forward(connection, file_id: int, position: int, record_id: str) -> int:
    return connection.execute(
        insert(ForwardedRecord)
        .values(
            request_file_id=file_id,
            provider_code="45001237",
            convention="KINE",
            file_name="f.xml",
            id_fichier="00000000-0000-4000-8000-000000000001",
            record_position=position,
            record_id=record_id,
            reference="R",
            matricule=None,
            amount_cents=100,
            record_status="ACCEPTE",
            forwarded_at=NOW,
        )
        .returning(ForwardedRecord.id)
    ).scalar_one()


def test_record_ids_widen_and_forwarded_ids_are_not_reused(project):
    engine = make_engine(project.database_url)
    try:
        config = schema._alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "exchange_0002")
        with engine.begin() as connection:
            connection.execute(
                insert(Provider).values(code="45001237", profession="KINE", name="P", created_at=NOW, updated_at=NOW)
            )
            file_id = connection.execute(
                insert(RequestFile)
                .values(
                    provider_code="45001237",
                    name="f.xml",
                    response_name="f_REP.xml",
                    source="sftp",
                    state="ANSWERED",
                    received_at=NOW,
                    size=1,
                    sha256="0" * 64,
                    stored_at="archive:x",
                    attempts=1,
                )
                .returning(RequestFile.id)
            ).scalar_one()
            ids = [_forward(connection, file_id, n, str(n)) for n in (1, 2, 3)]
            connection.execute(delete(ForwardedRecord).where(ForwardedRecord.id == ids[-1]))
        schema.upgrade(engine)
        with engine.begin() as connection:
            new = _forward(connection, file_id, 4, "9" * 5000)
            stored = connection.execute(select(ForwardedRecord.record_id).where(ForwardedRecord.id == new)).scalar_one()
        assert new > ids[-1]  # the back office's cursor never sees an id twice
        assert stored == "9" * 5000
    finally:
        engine.dispose()

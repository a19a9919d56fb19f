"""The migrations create exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.store import schema
from gateway.store.models import Base


def test_models_match_migrations(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "models and migrations disagree; write a migration"


def test_schema_is_current_after_upgrade(engine):
    assert schema.current_heads(engine) == schema.expected_heads()
    schema.require_current(engine)

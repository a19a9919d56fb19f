"""Persistence: database engine and sessions, models, migrations, repositories, file stores."""

"""What staff members and API keys may do, as words stored in the database and written in settings.

Kept apart from the tables (:mod:`gateway.store.models.web`) so that reading the settings
(``web.require_second_factor`` names roles) does not import SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    """What a staff member may do: agents review and decide; admins also manage accounts."""

    AGENT = "agent"
    ADMIN = "admin"


class ApiScope(StrEnum):
    """What an API key may do: ``backoffice`` reads; ``admin`` also changes."""

    BACKOFFICE = "backoffice"
    ADMIN = "admin"

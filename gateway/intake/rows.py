"""Loading an application's row, as the service and the decisions do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.intake.errors import ApplicationNotFound
from gateway.store.models.intake import Application


def load_application(session: Session, reference: str, *, lock: bool = False) -> Application:
    """The application ``reference`` (locked for update when ``lock``); raises
    :class:`ApplicationNotFound` when there is none."""
    query = select(Application).where(Application.reference == reference)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise ApplicationNotFound(f"no application {reference}", reference=reference)
    return row

"""Follow-up links: unguessable tokens of which only a hash is stored.

A token is given to the applicant in each message that needs a link (creation, request for
corrections, decision); every token of an application works until the application has been
closed for ``days_after_close`` days, or until staff revoke the application's links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.intake.errors import FollowupInvalid
from gateway.store.db import affected
from gateway.store.models.intake import Application, FollowupToken

#: 32 random bytes, URL-safe: 43 characters
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, application_id: int, now: dt.datetime) -> str:
    """Creates a new token for an application; returns it (it is not kept anywhere)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        FollowupToken(application_id=application_id, token_hash=hash_token(token), created_at=now, revoked_by="")
    )
    return token


def expires_at(application: Application, days_after_close: int) -> dt.datetime | None:
    """When the application's links stop working; None while it is open."""
    if application.closed_at is None:
        return None
    return application.closed_at + dt.timedelta(days=days_after_close)


def resolve(session: Session, token: str, now: dt.datetime, *, days_after_close: int) -> Application:
    """The application a token opens; raises :class:`FollowupInvalid` when unknown,
    revoked, or expired (the three look the same to the caller, so tokens cannot be probed)."""
    row = session.scalar(select(FollowupToken).where(FollowupToken.token_hash == hash_token(token or "")))
    if row is None or row.revoked_at is not None:
        raise FollowupInvalid("this follow-up link is not valid")
    application = session.get(Application, row.application_id)
    if application is None:
        raise FollowupInvalid("this follow-up link is not valid")
    limit = expires_at(application, days_after_close)
    if limit is not None and now >= limit:
        raise FollowupInvalid("this follow-up link is not valid")
    return application


def revoke_all(session: Session, application_id: int, *, actor: str, now: dt.datetime) -> int:
    """Revokes every live token of an application; returns how many."""
    result = session.execute(
        update(FollowupToken)
        .where(FollowupToken.application_id == application_id, FollowupToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=actor)
    )
    return affected(result) or 0


#: path of the applicant's follow-up page under the public URL (the web serves it there)
FOLLOWUP_PATH = "/suivi/{token}"

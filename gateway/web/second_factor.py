"""The staff second factor: TOTP (RFC 6238, via pyotp), one-time recovery codes, the QR code.

- The TOTP secret is kept encrypted (AES-256-GCM, :class:`SecretBox`) with a key derived from
  the web secret (``paths.data/web_secret``), bound to the staff id: a copy of the database
  alone (a backup, a replica, an injection) does not give anyone's second factor. Losing the
  web secret makes every enrolment unreadable: staff then enrol again after an admin's reset.
- A code is accepted for the current 30-second step and one step either side (clock drift),
  and only for a step later than the last one accepted (``totp_last_step``, moved forward by
  one conditional UPDATE, so two nodes cannot both accept the same code): a code seen once,
  on the wire or over a shoulder, cannot be used again.
- Recovery codes carry 80 random bits each and are kept as SHA-256; each works once.
- The QR code is drawn here as inline SVG (segno): no script, nothing fetched, and the page's
  strict CSP is unchanged.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from gateway.store.db import affected
from gateway.store.models.portal import PortalAccount
from gateway.store.models.web import StaffRecoveryCode, StaffUser

RECOVERY_CODES = 10
#: steps either side of the current one that are still accepted (30 s each)
DRIFT_STEPS = 1
_SEAL_VERSION = "v1."


class SecretBox:
    """Encrypts TOTP secrets at rest with a key derived from the web secret."""

    def __init__(self, web_secret: bytes, *, scope: str = "staff") -> None:
        # A key of its own: the web secret also signs CSRF tokens, and keys are never shared;
        # each scope (staff, provider) has its own key too.
        self._scope = scope
        self._aead = AESGCM(hmac.new(web_secret, f"gateway {scope} totp secret v1".encode(), hashlib.sha256).digest())

    def seal(self, secret: str, staff_id: int | str) -> str:
        """The stored form of ``secret``; bound to the owner's id so it cannot be moved to another row."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), f"{self._scope}:{staff_id}".encode())
        return _SEAL_VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, staff_id: int | str) -> str | None:
        """The secret back, or None when it was sealed with another key (web secret replaced)."""
        if not stored.startswith(_SEAL_VERSION):
            return None
        raw = base64.urlsafe_b64decode(stored[len(_SEAL_VERSION) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], f"{self._scope}:{staff_id}".encode()).decode()
        except InvalidTag:
            return None


def new_secret() -> str:
    """A fresh TOTP secret (160 bits, base32 as authenticator apps expect)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, login: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> str:
    """``uri`` as an inline SVG QR code (dark modules on a white quiet zone, no style attribute)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", title=title)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def accept_totp(session: Session, user: StaffUser | PortalAccount, secret: str, code: str, now: dt.datetime) -> bool:
    """True when ``code`` is valid now and of a step later than any accepted before.

    ``user`` is any row with a ``totp_last_step`` column (a staff member, a provider's portal
    account). On success the step is recorded in the same statement that checks it (replay
    protection across nodes); the caller's transaction commits it.
    """
    model = type(user)
    key = model.__mapper__.primary_key[0]
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            moved = session.execute(
                update(model)
                .where(
                    key == getattr(user, key.key or key.name),
                    or_(model.totp_last_step.is_(None), model.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            return affected(moved) == 1
    return False


def _normal(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _code_digest(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def new_recovery_codes(session: Session, staff_id: int, now: dt.datetime) -> list[str]:
    """Replaces a member's recovery codes with fresh ones; returns them (shown once, kept hashed)."""
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    session.add_all(StaffRecoveryCode(staff_id=staff_id, code_hash=_code_digest(c), created_at=now) for c in codes)
    return codes


def use_recovery_code(session: Session, staff_id: int, code: str, now: dt.datetime) -> bool:
    """True when ``code`` is one of the member's unused recovery codes; it is used up at once."""
    if len(_normal(code)) != 16:
        return False
    used = session.execute(
        update(StaffRecoveryCode)
        .where(
            StaffRecoveryCode.staff_id == staff_id,
            StaffRecoveryCode.code_hash == _code_digest(code),
            StaffRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(used) == 1


def recovery_codes_left(session: Session, staff_id: int) -> int:
    """How many unused recovery codes a member has."""
    return (
        session.scalar(
            select(func.count())
            .select_from(StaffRecoveryCode)
            .where(StaffRecoveryCode.staff_id == staff_id, StaffRecoveryCode.used_at.is_(None))
        )
        or 0
    )


def forget(session: Session, user: StaffUser) -> None:
    """Removes a member's second factor and recovery codes (caller's transaction)."""
    user.totp_secret, user.totp_enrolled_at, user.totp_last_step = None, None, None
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == user.id))

"""Passwords are kept only as argon2id hashes."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.errors import AccountError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def dummy_hash() -> str:
    """A valid hash of a throwaway secret: checked when an account has no password, so a
    failed login takes the same time whatever the reason (made on first use: hashing is slow)."""
    return _HASHER.hash("no password: this hash only spends the time a real check takes")


MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; refuses passwords too short to be safe."""
    if len(password) < MIN_LENGTH:
        raise AccountError(
            f"password too short: at least {MIN_LENGTH} characters are required", code="ACC-PASSWORD-SHORT"
        )
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str | bytes) -> bool:
    """True when ``password`` matches; always spends one argon2 verification."""
    try:
        return _HASHER.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

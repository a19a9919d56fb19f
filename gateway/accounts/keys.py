"""SSH public keys: parsing OpenSSH lines, fingerprints, and refusing weak keys."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from gateway.errors import AccountError, WeakKeyError

MIN_RSA_BITS = 3072


@dataclass(frozen=True)
class PublicKey:
    """A parsed, accepted public key."""

    algorithm: str  # the OpenSSH key type, e.g. "ssh-ed25519"
    bits: int
    blob: bytes  # the SSH wire encoding
    comment: str

    @property
    def fingerprint(self) -> str:
        """OpenSSH's SHA256 fingerprint, ``SHA256:<base64 without padding>``."""
        return fingerprint_of(self.blob)

    @property
    def openssh(self) -> str:
        """The ``<type> <base64>`` line without comment."""
        return f"{self.algorithm} {base64.b64encode(self.blob).decode()}"


def fingerprint_of(blob: bytes) -> str:
    """The OpenSSH SHA256 fingerprint of a key's wire encoding."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_public_key(text: str) -> PublicKey:
    """Parses one OpenSSH public key line; raises for garbage and for weak keys.

    Accepted: ed25519, ECDSA (P-256/384/521) and RSA of at least 3072 bits.
    """
    line = text.strip()
    if not line or "\n" in line:
        raise AccountError("expected exactly one public key line (as in id_ed25519.pub)", code="ACC-KEY-INVALID")
    if line.startswith("-----BEGIN") and "PRIVATE" in line:
        raise AccountError("this is a private key: give the .pub file", code="ACC-KEY-PRIVATE")
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise AccountError("not an OpenSSH public key line (<type> <base64> [comment])", code="ACC-KEY-INVALID")
    algorithm, b64 = parts[0], parts[1]
    comment = parts[2] if len(parts) > 2 else ""
    if algorithm == "ssh-dss":
        raise WeakKeyError("DSA keys are refused: use ed25519 (ssh-keygen -t ed25519)", algorithm=algorithm)
    try:
        blob = base64.b64decode(b64, validate=True)
        key = serialization.load_ssh_public_key(f"{algorithm} {b64}".encode())
    except (ValueError, TypeError) as exc:
        if "DSA" in str(exc).upper() and "ECDSA" not in str(exc).upper():
            raise WeakKeyError("DSA keys are refused: use ed25519", algorithm=algorithm) from None
        raise AccountError(f"not a valid OpenSSH public key: {exc}", code="ACC-KEY-INVALID") from None
    except UnsupportedAlgorithm as exc:  # cryptography's word for key types it does not know
        raise AccountError(f"unsupported key type {algorithm!r}: {exc}", code="ACC-KEY-INVALID") from None
    if isinstance(key, dsa.DSAPublicKey):
        raise WeakKeyError("DSA keys are refused: use ed25519", algorithm=algorithm)
    if isinstance(key, rsa.RSAPublicKey):
        bits = key.key_size
        if bits < MIN_RSA_BITS:
            raise WeakKeyError(
                f"RSA key of {bits} bits refused: at least {MIN_RSA_BITS} bits are required "
                "(ssh-keygen -t ed25519 is recommended)",
                algorithm=algorithm,
                bits=bits,
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        bits = key.curve.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        bits = 256
    else:
        raise WeakKeyError(
            f"key type {algorithm} is not accepted (use ed25519, ECDSA or RSA >= 3072)", algorithm=algorithm
        )
    return PublicKey(algorithm=algorithm, bits=bits, blob=blob, comment=comment.strip())

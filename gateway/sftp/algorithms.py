"""The SSH algorithms offered: modern only (checked by ssh-audit in tests/sftp).

No CBC, no 3DES, no SHA-1 or MD5 MACs, no encrypt-and-MAC MACs, no DSA or ssh-rsa (SHA-1)
signatures, no NIST-curve key exchange (curve25519 and group16 serve every current client:
OpenSSH >= 6.5, PuTTY/WinSCP >= 0.68, FileZilla, paramiko, libssh2 >= 1.9). Strict key
exchange (Terrapin counter-measure) is on, as paramiko's default.
"""

from __future__ import annotations

import paramiko

CIPHERS = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr")
MACS = ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com")
KEX = ("mlkem768x25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512")
HOST_KEYS = ("ssh-ed25519",)
#: client keys: ed25519, ECDSA and RSA (SHA-2 signatures; key size checked when the key is added)
PUBKEYS = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
)


def disabled_algorithms() -> dict[str, list[str]]:
    """paramiko's ``disabled_algorithms``: everything it knows that is not allowed above."""
    transport = paramiko.Transport
    allowed = {"ciphers": CIPHERS, "macs": MACS, "kex": KEX, "keys": HOST_KEYS, "pubkeys": PUBKEYS}
    return {
        kind: [name for name in getattr(transport, f"_preferred_{kind}") if name not in wanted]
        for kind, wanted in allowed.items()
    }

"""Who is connected: the values a logged-in SFTP session carries into every record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Who:
    """An authenticated session: provider, address, how it logged in."""

    provider_code: str
    profession: str
    address: str
    session_id: str
    #: "publickey" or "password"
    method: str
    #: OpenSSH SHA256 fingerprint of the key used, "" for a password login
    key_fingerprint: str
    started_at: dt.datetime

    @property
    def actor(self) -> str:
        """The audit actor, ``provider:<code>``."""
        return f"provider:{self.provider_code}"

    def log_fields(self) -> dict[str, str]:
        """What every log line of this session carries."""
        return {
            "provider": self.provider_code,
            "address": self.address,
            "session": self.session_id,
            "key": self.key_fingerprint,
        }

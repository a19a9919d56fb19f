"""Startup recovery: resume unfinished work and take inbox files that have no row.

Run by the worker service before its threads start (and its rescans by the watcher):

1. Files claimed by dead processes of this host become claimable at once (other hosts'
   claims lapse with their lease). Rows that are RECEIVED or PROCESSING are then simply
   claimed again in order: processing is idempotent (gateway/exchange/runtime/processing.py).
2. Inbox files with no row (written by other means, or placed by an SFTP server that died
   before registering them) are adopted (gateway/exchange/runtime/adopt.py). The SFTP role registers
   the latter itself before it takes any upload (gateway/sftp/rescue.py), since they must be
   claimed before the provider's later uploads; here they are only found when the SFTP role
   does not run on this node.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.exchange.runtime.adopt import Adopted, scan_inbox
from gateway.exchange.runtime.claims import UNFINISHED, ProcessIdentity, free_dead_local_claims
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.store.models.exchange import RequestFile

log = get_logger(__name__)


@dataclass(frozen=True)
class Recovery:
    """What startup recovery found."""

    freed_claims: tuple[int, ...]
    unfinished: int
    adopted: tuple[Adopted, ...] = field(default=())

    def summary(self) -> dict[str, object]:
        """Counts for the log line."""
        return {
            "freed_claims": len(self.freed_claims),
            "unfinished": self.unfinished,
            **{f"inbox_{k}": v for k, v in Counter(a.result.value for a in self.adopted).items()},
        }


def recover(
    sessions: sessionmaker[Session], spool: SpoolPaths, identity: ProcessIdentity, *, now: dt.datetime, min_age_s: float
) -> Recovery:
    """Frees dead local claims, counts unfinished files and adopts inbox files with no row."""
    freed = free_dead_local_claims(sessions, identity, now=now)
    with sessions() as session:
        unfinished = session.scalar(select(func.count()).where(RequestFile.state.in_(UNFINISHED))) or 0
    adopted = scan_inbox(sessions, spool, now=now, min_age_s=min_age_s)
    result = Recovery(freed_claims=tuple(freed), unfinished=unfinished, adopted=tuple(adopted))
    log.info("exchange recovery", **result.summary())
    return result

"""The stateful rules' view of a provider's earlier files, answered from the database.

:class:`DatabaseHistory` implements :class:`gateway.exchange.checks.model.History`. Voided files
count for nothing, and a file answered with SYS-001 (never checked) is no DOUBLON source;
purged files still count (their rows keep hashes, ``IdFichier``, sequence
numbers and the keyed act hashes). A worker passes ``before_id`` (the file's own row id) so
that the file never sees itself or anything received after it: re-checking a file after a
crash gives the same outcome. ``gateway validate`` leaves it None (every stored file counts).

DUP-002 compares keyed hashes (HMAC-SHA-256 of ``matricule|code|date`` with the act key), so
the accepted_acts table holds no matricule in clear and survives purge.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVarTuple

from sqlalchemy import Connection, Select, bindparam, exists, func, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from gateway.exchange.checks.messages import INTERNAL_ERROR
from gateway.exchange.checks.model import ActKey, EarlierFile, FileStatus, Mode
from gateway.store.files import make_folder
from gateway.store.models.exchange import AcceptedAct, RequestFile, RequestFinding

_Ts = TypeVarTuple("_Ts")

#: statuses that use up a sequence number and an IdFichier, and whose acts count for DUP-002
COUNTING_STATUSES = (FileStatus.ACCEPTE.value, FileStatus.PARTIELLEMENT_ACCEPTE.value)
ACT_KEY_FILE = "exchange-act.key"
_CHUNK = 500


def load_act_key(data_dir: Path, configured: str = "") -> bytes:
    """The secret of the keyed act hashes: ``configured`` if set, else a key generated once.

    The generated key is kept in ``<data_dir>/exchange-act.key`` (mode 0600). Every node that
    shares a database must use the same key: set ``exchange.forwarding_key`` when the data
    folder is not shared.
    """
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / ACT_KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    make_folder(path.parent)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return bytes.fromhex(key)


def act_hash(key: bytes, act: ActKey) -> str:
    """Hex HMAC-SHA-256 of ``matricule|code|date``."""
    return _act_hash(key, act.matricule, act.code, act.date)


@lru_cache(maxsize=1 << 14)
def _act_hash(key: bytes, matricule: str, code: str, date: str) -> str:
    # remembered: a worker hashes a file's acts when it checks them for DUP-002 and again
    # when it stores them, a few milliseconds apart (16k entries, the acts of a file of a few
    # MiB: about 8 MiB at most; a larger file's acts are simply hashed twice)
    return hmac.new(key, f"{matricule}|{code}|{date}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Lookups:
    """The history's statements, built once: building a select per lookup cost as much as
    running it (SQLAlchemy caches the compiled form either way). Parameters: ``provider``,
    ``before`` (when bounded) and each lookup's own."""

    identical_file: Select[Any, Any]
    last_sequence: Select[Any]
    id_fichier_used: Select[bool]
    accepted_acts: Select[str]

    @classmethod
    def build(cls, *, bounded: bool) -> _Lookups:
        """The statements; ``bounded`` ones count only files received before ``before``."""

        def counted(query: Select[*_Ts], *, id_range: bool = True) -> Select[*_Ts]:
            # the provider's files, received before the one checked when bounded, not voided;
            # without ``id_range`` the bound is written ``id + 0 < before``, which no index
            # serves, so that SQLite (it has no statistics to weigh them) does not prefer an
            # index on the id's range to the one the lookup is made for
            query = query.where(RequestFile.provider_code == bindparam("provider"), RequestFile.voided_at.is_(None))
            if not bounded:
                return query
            return query.where((RequestFile.id if id_range else RequestFile.id + 0) < bindparam("before"))

        def production(query: Select[*_Ts]) -> Select[*_Ts]:
            return counted(query).where(
                RequestFile.mode == Mode.PRODUCTION.value, RequestFile.status.in_(COUNTING_STATUSES)
            )

        def highest_sequence() -> Select[Any]:
            # One select per counting status, each reading down ix_request_files_sequence from
            # its top to the first row that counts: a max() over both statuses at once read
            # every answered file of the provider (50 ms at 50,000 files).
            tops = [
                counted(select(RequestFile.sequence), id_range=False)
                .where(
                    RequestFile.convention == bindparam("convention"),
                    RequestFile.mode == Mode.PRODUCTION.value,
                    RequestFile.status == status,
                    RequestFile.sequence.is_not(None),
                )
                .order_by(RequestFile.sequence.desc())
                .limit(1)
                .subquery()
                for status in COUNTING_STATUSES
            ]
            each = union_all(*(select(top.c.sequence) for top in tops)).subquery()
            return select(func.max(each.c.sequence))

        # A file the gateway could not check (SYS-001) was never judged: the same bytes may come again.
        unchecked = (
            select(RequestFinding.id)
            .where(RequestFinding.request_file_id == RequestFile.id, RequestFinding.code == INTERNAL_ERROR)
            .exists()
        )
        return cls(
            identical_file=counted(select(RequestFile.name, RequestFile.received_at))
            .where(RequestFile.sha256 == bindparam("sha256"), ~unchecked)
            .order_by(RequestFile.id)
            .limit(1),
            last_sequence=highest_sequence(),
            id_fichier_used=select(
                exists(production(select(RequestFile.id)).where(RequestFile.id_fichier == bindparam("id_fichier")))
            ),
            accepted_acts=counted(
                select(AcceptedAct.act_hash).join(RequestFile, RequestFile.id == AcceptedAct.request_file_id)
            )
            .where(
                AcceptedAct.provider_code == bindparam("provider"),
                AcceptedAct.act_hash.in_(bindparam("hashes", expanding=True)),
            )
            .distinct(),
        )


_BOUNDED = _Lookups.build(bounded=True)
_EVERY_FILE = _Lookups.build(bounded=False)


class DatabaseHistory:
    """:class:`~gateway.exchange.checks.model.History` read from the database (read-only)."""

    def __init__(self, sessions: sessionmaker[Session], *, act_key: bytes, before_id: int | None = None) -> None:
        self._sessions = sessions
        self._key = act_key
        self._before_id = before_id
        self._lookups = _EVERY_FILE if before_id is None else _BOUNDED
        self._held: Connection | None = None

    @contextmanager
    def held(self) -> Iterator[DatabaseHistory]:
        """Every lookup made inside uses one connection (a worker's check makes four or more)."""
        with self._sessions() as session:
            self._held = session.connection()
            try:
                yield self
            finally:
                self._held = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        # Core execution on a connection: the lookups load no ORM objects, and a session per
        # lookup (checkout, begin, ORM compile) cost more than the queries themselves.
        if self._held is not None:
            yield self._held
        else:
            with self._sessions() as session:
                yield session.connection()

    def _parameters(self, provider_code: str, **values: Any) -> dict[str, Any]:
        """The bound values of a lookup of ``self._lookups``."""
        if self._before_id is not None:
            values["before"] = self._before_id
        return {"provider": provider_code, **values}

    def identical_file(self, provider_code: str, sha256: str) -> EarlierFile | None:
        with self._connection() as connection:
            row = connection.execute(
                self._lookups.identical_file, self._parameters(provider_code, sha256=sha256)
            ).first()
        return EarlierFile(name=row.name, received_at=row.received_at) if row else None

    def last_sequence(self, provider_code: str, convention: str) -> int | None:
        with self._connection() as connection:
            value: int | None = connection.scalar(
                self._lookups.last_sequence, self._parameters(provider_code, convention=convention)
            )
            return value

    def id_fichier_used(self, provider_code: str, id_fichier: str) -> bool:
        with self._connection() as connection:
            return bool(
                connection.scalar(self._lookups.id_fichier_used, self._parameters(provider_code, id_fichier=id_fichier))
            )

    def accepted_acts(self, provider_code: str, acts: frozenset[ActKey]) -> frozenset[ActKey]:
        by_hash: dict[str, list[ActKey]] = {}
        for act in acts:
            by_hash.setdefault(act_hash(self._key, act), []).append(act)
        found: set[ActKey] = set()
        hashes = list(by_hash)
        with self._connection() as connection:
            for start in range(0, len(hashes), _CHUNK):
                parameters = self._parameters(provider_code, hashes=hashes[start : start + _CHUNK])
                for (digest,) in connection.execute(self._lookups.accepted_acts, parameters):
                    found.update(by_hash[digest])
        return frozenset(found)

    def hashes(self, acts: Iterable[ActKey]) -> set[str]:
        """The keyed hashes of ``acts`` (what the worker stores for an accepted record)."""
        return {act_hash(self._key, act) for act in acts}

"""The local database seen as the server's ``History``, and the next sequence number.

The client cannot know what the server knows, only what it sent and what it was answered. It
takes every PRODUCTION file it made as standing until a response says otherwise: files made,
pushed and not yet answered hold their sequence number and their acts, because the server
will judge the next file after them. A file answered REJETE or DOUBLON, or a record answered
REJETE, counts for nothing (spec section 4: a rejected file uses up neither its IdFichier nor
its sequence number).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Exists, and_, exists, func, select
from sqlalchemy.orm import Session

from gateway.client.store import LocalAct, LocalRequest, LocalResponse, LocalResponseRecord
from gateway.exchange.checks.model import ActKey, EarlierFile, FileStatus, Mode, RecordStatus

#: file statuses after which a file counts for nothing
VOID_STATUSES = (FileStatus.REJETE.value, FileStatus.DOUBLON.value)
_CHUNK = 500


def _void_file() -> Exists:
    """True for a request whose (latest) response made it count for nothing."""
    return exists().where(
        LocalResponse.request_name == LocalRequest.name,
        LocalResponse.request_sha256 == LocalRequest.sha256,
        LocalResponse.status.in_(VOID_STATUSES),
    )


def _standing(provider_code: str) -> ColumnElement[bool]:
    return and_(LocalRequest.provider_code == provider_code, LocalRequest.mode == Mode.PRODUCTION.value, ~_void_file())


def next_sequence(session: Session, provider_code: str, convention: str) -> int:
    """One more than the highest number of a standing PRODUCTION file, or of a file the
    gateway accepted (its response, pulled and imported, says so), whichever is higher: files
    sent by other software, or from another machine, count too (1 for the first)."""
    made = session.scalar(
        select(func.max(LocalRequest.sequence)).where(_standing(provider_code), LocalRequest.convention == convention)
    )
    accepted = session.scalar(
        select(func.max(LocalResponse.sequence)).where(
            LocalResponse.convention == convention,
            LocalResponse.mode == Mode.PRODUCTION.value,
            LocalResponse.status.not_in(VOID_STATUSES),
            # the response names the request, whose name holds the provider's code
            LocalResponse.request_name.startswith(f"{convention}_FACT_{provider_code}_", autoescape=True),
        )
    )
    return max(made or 0, accepted or 0) + 1


class LocalHistory:
    """Answers the checks' history questions from the provider's local database.

    It reads through the caller's session, so that numbering, checking and recording one
    file happen in one transaction (on SQLite, under one write lock).
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def identical_file(self, provider_code: str, sha256: str) -> EarlierFile | None:
        row = self._session.scalars(
            select(LocalRequest)
            .where(
                LocalRequest.provider_code == provider_code,
                LocalRequest.sha256 == sha256,
                LocalRequest.pushed_at.is_not(None),
            )
            .order_by(LocalRequest.pushed_at)
        ).first()
        if row is None:
            return None
        assert row.pushed_at is not None, "the query keeps pushed files only"
        return EarlierFile(row.name, row.pushed_at)

    def last_sequence(self, provider_code: str, convention: str) -> int | None:
        return self._session.scalar(
            select(func.max(LocalRequest.sequence)).where(
                _standing(provider_code), LocalRequest.convention == convention
            )
        )

    def id_fichier_used(self, provider_code: str, id_fichier: str) -> bool:
        count = self._session.scalar(
            select(func.count())
            .select_from(LocalRequest)
            .where(_standing(provider_code), LocalRequest.id_fichier == id_fichier)
        )
        return bool(count)

    def accepted_acts(self, provider_code: str, acts: frozenset[ActKey]) -> frozenset[ActKey]:
        if not acts:
            return frozenset()
        rejected_record = exists().where(
            LocalResponse.request_name == LocalRequest.name,
            LocalResponse.request_sha256 == LocalRequest.sha256,
            LocalResponseRecord.response_id == LocalResponse.id,
            LocalResponseRecord.record_id == LocalAct.record_id,
            LocalResponseRecord.status == RecordStatus.REJETE.value,
        )
        matricules = sorted({a.matricule for a in acts})
        found: set[ActKey] = set()
        # in chunks: a file may name tens of thousands of patients, beyond SQL's parameter limits
        for start in range(0, len(matricules), _CHUNK):
            rows = self._session.execute(
                select(LocalAct.matricule, LocalAct.code, LocalAct.act_date)
                .join(LocalRequest, LocalAct.request_id == LocalRequest.id)
                .where(
                    _standing(provider_code),
                    LocalAct.matricule.in_(matricules[start : start + _CHUNK]),
                    ~rejected_record,
                )
            )
            for matricule, code, date in rows:
                key = ActKey(matricule, code, date.isoformat())
                if key in acts:
                    found.add(key)
        return frozenset(found)

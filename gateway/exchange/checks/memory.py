"""A :class:`~gateway.exchange.checks.model.History` kept in memory, over another one.

``gateway validate`` judges the files it is given in order, each seeing the ones before it:
:meth:`MemoryHistory.remember` adds an outcome, and every question is answered from those
outcomes and then from ``base`` (the database, read-only, or nothing). Tests use it as the
real fake of the worker's database history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.exchange.checks.model import ActKey, EarlierFile, EmptyHistory, FileStatus, History, Mode, Outcome

COUNTING = (FileStatus.ACCEPTE, FileStatus.PARTIELLEMENT_ACCEPTE)


@dataclass
class MemoryHistory:
    """Earlier outcomes held in memory, answered before ``base``."""

    base: History = field(default_factory=EmptyHistory)
    outcomes: list[Outcome] = field(default_factory=list)

    def remember(self, outcome: Outcome) -> None:
        """Counts ``outcome`` as an earlier file from now on."""
        self.outcomes.append(outcome)

    def _counting(self, provider_code: str) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if o.received.provider_code == provider_code and o.mode == Mode.PRODUCTION and o.status in COUNTING
        ]

    def identical_file(self, provider_code: str, sha256: str) -> EarlierFile | None:
        for outcome in self.outcomes:
            if (
                outcome.received.provider_code == provider_code
                and outcome.received.sha256 == sha256
                and outcome.internal_error is None
            ):  # a file that could not be checked may come again
                return EarlierFile(outcome.received.name, outcome.received.received_at)
        return self.base.identical_file(provider_code, sha256)

    def last_sequence(self, provider_code: str, convention: str) -> int | None:
        numbers = [o.sequence for o in self._counting(provider_code) if o.convention == convention and o.sequence]
        base = self.base.last_sequence(provider_code, convention)
        if base is not None:
            numbers.append(base)
        return max(numbers, default=None)

    def id_fichier_used(self, provider_code: str, id_fichier: str) -> bool:
        return any(o.id_fichier == id_fichier for o in self._counting(provider_code)) or self.base.id_fichier_used(
            provider_code, id_fichier
        )

    def accepted_acts(self, provider_code: str, acts: frozenset[ActKey]) -> frozenset[ActKey]:
        mine = {act for o in self._counting(provider_code) for r in o.accepted_records for act in r.acts}
        return frozenset(acts & mine) | self.base.accepted_acts(provider_code, acts - mine)

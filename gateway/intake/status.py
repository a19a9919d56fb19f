"""The status machine of an application (spec/intake.md section 4).

::

    EN_PREPARATION --submit--> TRANSMISE --request correction--> A_CORRIGER
                                   ^                                  |
                                   +------------submit----------------+
    TRANSMISE --approve/refuse--> CLOTUREE (CODE_ATTRIBUE / REFUSEE)
    any open status --withdraw--> CLOTUREE (RETIREE)

Statuses and outcomes are StrEnums whose values are the spec's words; :data:`TRANSITIONS`
is the one table every change is checked against.
"""

from __future__ import annotations

from enum import StrEnum

from gateway import texts
from gateway.intake.errors import TransitionRefused


class Status(StrEnum):
    """Status of an application, as applicants and staff see it."""

    EN_PREPARATION = "EN_PREPARATION"
    TRANSMISE = "TRANSMISE"
    A_CORRIGER = "A_CORRIGER"
    CLOTUREE = "CLOTUREE"

    @property
    def label_en(self) -> str:
        """English label of spec section 4."""
        return texts.gettext("en", f"appstatus.{self.value}")

    @property
    def label_fr(self) -> str:
        """French label."""
        return texts.gettext("fr", f"appstatus.{self.value}")

    @property
    def is_open(self) -> bool:
        """True until the application is closed."""
        return self is not Status.CLOTUREE


class Outcome(StrEnum):
    """How a closed application ended."""

    CODE_ATTRIBUE = "CODE_ATTRIBUE"
    REFUSEE = "REFUSEE"
    RETIREE = "RETIREE"

    @property
    def label_en(self) -> str:
        """English label."""
        return texts.gettext("en", f"outcome.{self.value}")

    @property
    def label_fr(self) -> str:
        """French label."""
        return texts.gettext("fr", f"outcome.{self.value}")


class Channel(StrEnum):
    """How an application came in (spec section 3)."""

    WEB = "web"
    MAIL = "mail"
    PAPER = "paper"


#: (from, to, outcome) triples allowed; ``None`` as from is the creation of an application
TRANSITIONS: frozenset[tuple[Status | None, Status, Outcome | None]] = frozenset(
    {
        (None, Status.EN_PREPARATION, None),
        (None, Status.TRANSMISE, None),
        (Status.EN_PREPARATION, Status.TRANSMISE, None),
        (Status.TRANSMISE, Status.A_CORRIGER, None),
        (Status.A_CORRIGER, Status.TRANSMISE, None),
        (Status.TRANSMISE, Status.CLOTUREE, Outcome.CODE_ATTRIBUE),
        (Status.TRANSMISE, Status.CLOTUREE, Outcome.REFUSEE),
        *((s, Status.CLOTUREE, Outcome.RETIREE) for s in Status if s.is_open),
    }
)

#: statuses in which the applicant may change data and documents
APPLICANT_EDITABLE = frozenset({Status.EN_PREPARATION, Status.A_CORRIGER})


def is_allowed(current: Status | None, new: Status, outcome: Outcome | None = None) -> bool:
    """True when ``current -> new`` (with ``outcome`` when closing) is in :data:`TRANSITIONS`."""
    return (current, new, outcome) in TRANSITIONS


def check_transition(
    current: Status | None, new: Status, outcome: Outcome | None = None, *, reference: str = ""
) -> None:
    """Raises :class:`TransitionRefused` unless the change is allowed."""
    if not is_allowed(current, new, outcome):
        target = f"{new}/{outcome}" if outcome else str(new)
        raise TransitionRefused(
            f"application {reference or '(new)'}: cannot go from {current or '(creation)'} to {target}",
            reference=reference,
            current=str(current) if current else None,
            target=target,
        )

"""The status machine of spec/intake.md section 4."""

from __future__ import annotations

import pytest

from gateway.intake.errors import TransitionRefused
from gateway.intake.status import Outcome, Status, check_transition, is_allowed

S, O = Status, Outcome  # noqa: E741 (short names keep the transition table readable)


@pytest.mark.parametrize(
    "current, new, outcome",
    [
        pytest.param(None, S.EN_PREPARATION, None, id="web-creation"),
        pytest.param(None, S.TRANSMISE, None, id="mail-or-paper-creation"),
        pytest.param(S.EN_PREPARATION, S.TRANSMISE, None, id="submit"),
        pytest.param(S.TRANSMISE, S.A_CORRIGER, None, id="request-correction"),
        pytest.param(S.A_CORRIGER, S.TRANSMISE, None, id="resubmit"),
        pytest.param(S.TRANSMISE, S.CLOTUREE, O.CODE_ATTRIBUE, id="approve"),
        pytest.param(S.TRANSMISE, S.CLOTUREE, O.REFUSEE, id="refuse"),
        pytest.param(S.EN_PREPARATION, S.CLOTUREE, O.RETIREE, id="withdraw-draft"),
        pytest.param(S.TRANSMISE, S.CLOTUREE, O.RETIREE, id="withdraw-forwarded"),
        pytest.param(S.A_CORRIGER, S.CLOTUREE, O.RETIREE, id="withdraw-to-correct"),
    ],
)
def test_allowed(current, new, outcome):
    assert is_allowed(current, new, outcome)
    check_transition(current, new, outcome)


@pytest.mark.parametrize(
    "current, new, outcome",
    [
        pytest.param(S.EN_PREPARATION, S.CLOTUREE, O.CODE_ATTRIBUE, id="approve-draft"),
        pytest.param(S.A_CORRIGER, S.CLOTUREE, O.CODE_ATTRIBUE, id="approve-while-to-correct"),
        pytest.param(S.EN_PREPARATION, S.A_CORRIGER, None, id="correct-draft"),
        pytest.param(S.CLOTUREE, S.TRANSMISE, None, id="reopen"),
        pytest.param(S.CLOTUREE, S.CLOTUREE, O.RETIREE, id="withdraw-closed"),
        pytest.param(S.TRANSMISE, S.CLOTUREE, None, id="close-without-outcome"),
        pytest.param(S.TRANSMISE, S.EN_PREPARATION, None, id="back-to-draft"),
        pytest.param(None, S.CLOTUREE, O.CODE_ATTRIBUE, id="create-closed"),
    ],
)
def test_refused(current, new, outcome):
    assert not is_allowed(current, new, outcome)
    with pytest.raises(TransitionRefused) as caught:
        check_transition(current, new, outcome, reference="DEM-2026-000001")
    assert caught.value.code == "INT-STATUS"


def test_labels_are_the_spec_words():
    # TRANSMISE is "Submitted", not the spec table's "Forwarded", which reads as the forwarded
    # records of request files (issue 13; docs/intake.md)
    assert [s.label_en for s in Status] == ["In preparation", "Submitted", "To be corrected", "Closed"]
    assert [str(o) for o in Outcome] == ["CODE_ATTRIBUE", "REFUSEE", "RETIREE"]

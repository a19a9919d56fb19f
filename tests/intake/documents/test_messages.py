"""Every reason and flag has a French and an English message telling the applicant what to do."""

from __future__ import annotations

import pytest

from gateway.intake.documents import FLAGS, REASONS, Flag, Reason, message_for


@pytest.mark.parametrize("reason", list(Reason), ids=[r.value for r in Reason])
def test_every_reason_has_both_messages(reason: Reason) -> None:
    message = message_for(reason, max_bytes=20 * 1024 * 1024)
    assert message.fr and message.en and message.fr != message.en
    assert "{" not in message.fr + message.en


@pytest.mark.parametrize("flag", list(Flag), ids=[f.value for f in Flag])
def test_every_flag_has_both_messages(flag: Flag) -> None:
    assert FLAGS[flag].fr and FLAGS[flag].en


def test_messages_are_distinct() -> None:
    texts = [m.en for m in REASONS.values()] + [m.en for m in FLAGS.values()]
    assert len(set(texts)) == len(texts)


def test_size_limit_is_named_in_the_message() -> None:
    message = message_for(Reason.FICHIER_TROP_VOLUMINEUX, max_bytes=20 * 1024 * 1024)
    assert "20 MiB" in message.en and "20 MiB" in message.fr


def test_accepted_message_lists_the_flags() -> None:
    message = message_for(None, (Flag.PDF_REPARE, Flag.NOM_ASSAINI))
    assert message.en.startswith("Document accepted.")
    assert FLAGS[Flag.PDF_REPARE].en in message.en and FLAGS[Flag.NOM_ASSAINI].fr in message.fr

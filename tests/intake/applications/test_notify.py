"""Messages to applicants through a real SMTP server, or as .eml files."""

from __future__ import annotations

import dataclasses
import re
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from gateway.intake import notify
from tests.intake.applications.conftest import valid_data
from tests.support import free_port, wait_until


class Collect:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_messages_go_through_smtp(smtp_server):
    controller, handler = smtp_server
    notifier = notify.Notifier(notify.SmtpMailer("127.0.0.1", controller.port, starttls=False), "fonds@cns.invalid")
    message = notify.approval_message("anne@dupont.lu", "DEM-2026-000001", "63000012", "https://gw/suivi/abc")
    assert notifier.deliver(message)
    wait_until(lambda: handler.messages)
    sender, recipients, content = handler.messages[0]
    parsed = message_from_bytes(content, policy=policy.default)
    assert (sender, recipients) == ("fonds@cns.invalid", ["anne@dupont.lu"])
    body = parsed.get_content()
    assert "63000012" in body and "Votre code prestataire" in body and "Your provider code" in body
    assert parsed["X-Gateway-Reference"] == "DEM-2026-000001"


def test_unreachable_server_is_reported_not_raised():
    notifier = notify.Notifier(notify.SmtpMailer("127.0.0.1", free_port(), starttls=False, timeout=5), "f@x.invalid")
    assert notifier.deliver(notify.refusal_message("a@b.lu", "DEM-2026-000001", "raison", None)) is False


def test_messages_as_eml_files(tmp_path):
    notifier = notify.Notifier(notify.FolderMailer(tmp_path / "out"), "fonds@cns.invalid")
    assert notifier.deliver(notify.correction_message("a@b.lu", "DEM-2026-000002", "Joindre le RIB.", "https://l/x"))
    (path,) = (tmp_path / "out").glob("*.eml")
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "a@b.lu" and "DEM-2026-000002" in parsed["Subject"]
    assert "Joindre le RIB." in parsed.get_content()


def test_no_address_no_message(tmp_path):
    notifier = notify.Notifier(notify.FolderMailer(tmp_path / "out"), "fonds@cns.invalid")
    assert notifier.deliver(notify.acknowledgement_message("", "DEM-2026-000003", None)) is False
    assert not (tmp_path / "out").exists()


def test_every_message_carries_the_reply_token_in_its_subject_and_reply_to(tmp_path):
    notifier = notify.Notifier(
        notify.FolderMailer(tmp_path / "out"), "fonds@cns.invalid", reply_address="Demandes@CNS.invalid"
    )
    token = "0123456789abcdef01234567"
    message = notify.correction_message("a@b.lu", "DEM-2026-000002", "Joindre le RIB.", None)
    assert notifier.deliver(dataclasses.replace(message, reply_token=token))
    (path,) = (tmp_path / "out").glob("*.eml")
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Subject"].startswith(f"[DEM-2026-000002 #{token}] ")
    assert parsed["Reply-To"] == f"demandes+{token}@cns.invalid"


def test_the_service_sends_each_application_its_own_token(service, outbox):
    first = service.create(None, channel="paper", actor="cli", address="")
    second = service.create(None, channel="paper", actor="cli", address="")
    assert not outbox.messages()  # no contact address: nothing sent
    for created in (first, second):
        service.update_data(created.application.reference, valid_data(), actor="cli", by_staff=True)
        service.decisions.request_correction(created.application.reference, "Joindre le RIB.", actor="staff:m")
    tokens = [re.search(r"#([0-9a-f]{24})\]", m["Subject"]).group(1) for m in outbox.messages()]
    assert len(tokens) == 2 and tokens[0] != tokens[1]

"""The mail drop inside ``gateway serve --role watcher``, as an operator runs it."""

from __future__ import annotations

import mailbox
import signal
import subprocess

import pytest

from gateway.intake.requirements import DocumentKind as K
from tests.intake.applications.conftest import pdf_for
from tests.intake.applications.test_maildrop import message
from tests.support import GATEWAY, clean_env, wait_until


@pytest.mark.heavy
def test_watcher_role_takes_mail_into_applications(project, engine, service):
    process = subprocess.Popen(
        [GATEWAY, "serve", "--role", "watcher", "--config", str(project.config)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        maildir = project.root / "var" / "maildrop"
        wait_until(lambda: (maildir / "new").is_dir(), timeout_s=60)
        mailbox.Maildir(maildir, create=False).add(
            message("anne@dupont.lu", "Demande de code", [("RIB.pdf", pdf_for(K.RIB), "application/pdf")])
        )
        (view,) = wait_until(lambda: service.list(), timeout_s=30)
        assert view.channel == "mail" and view.documents[0].suggested_kind == "rib"
        wait_until(lambda: list((maildir / "cur").iterdir()), timeout_s=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr

"""After a whole flow under umask 022, nothing the gateway wrote is open to other users.

The parts are wired as ``gateway serve`` wires them (the CLI's builders over the project's
settings) and run in this process, whose umask is the loose 022 of a usual shell: the modes
must come from the gateway's own code, not from the umask the command sets at start.
"""

from __future__ import annotations

import os
import stat

import paramiko
import pytest
from sqlalchemy import text

from gateway.cli.applications import build_applications
from gateway.cli.context import AppContext
from gateway.cli.exchange import build_workers
from gateway.config_check import personal_data_paths
from gateway.exchange.runtime.reception import response_name_for
from gateway.intake.requirements import required_kinds
from gateway.sftp.hostkey import load_or_create_host_key
from gateway.sftp.server import SftpServer, node_name
from gateway.store.modes import iter_open
from tests.exchange.runtime.conftest import request
from tests.intake.applications.conftest import pdf_for, valid_data
from tests.sftp.conftest import live_config, write_key_pair
from tests.support import wait_until

KINE = "45001237"


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_upload_response_application_and_message_are_private(loose_umask, project, engine, tmp_path):
    context = AppContext(project.settings(), _engine=engine)
    settings = context.settings
    key_file, public = write_key_pair(tmp_path / "client")  # the provider's machine, not ours
    context.accounts.add(KINE, profession="KINE", name="Kiné", keys=[public])

    config = live_config(project, engine)
    server = SftpServer(config, context.sessions, load_or_create_host_key(config.host_key_path), node=node_name())
    server.start()
    workers = build_workers(context)
    for service in workers:
        service.start()
    try:
        transport = paramiko.Transport(("127.0.0.1", server.port))
        transport.connect(username=KINE, pkey=paramiko.Ed25519Key(filename=str(key_file)))
        client = paramiko.SFTPClient.from_transport(transport)
        name, data = request("KINE", provider=KINE)
        with client.open(f"/inbox/{name}", "wb") as handle:
            handle.write(data)
        response = settings.paths.outbox / KINE / response_name_for(name)
        wait_until(response.exists, timeout_s=30)
        assert client.open(f"/outbox/{response.name}").read().startswith(b"<?xml")  # still served
        client.close()
        transport.close()
    finally:
        for service in reversed(workers):
            service.stop()
        server.stop()

    applications = build_applications(context)
    application = applications.create(valid_data(), actor="applicant", address="192.0.2.7")
    reference = application.application.reference
    for kind in required_kinds(valid_data().legal_form):
        applications.attach_document(
            reference, data=pdf_for(kind), name=f"{kind}.pdf", kind=str(kind), actor="applicant"
        )
    applications.decisions.submit(reference, actor="applicant", address="192.0.2.7")  # acknowledged by e-mail
    with engine.connect() as connection:  # SQLite's -wal and -shm exist while a connection is open
        connection.execute(text("SELECT 1")).all()
        if engine.dialect.name == "sqlite":
            assert all((settings.paths.data / f"gateway.db{suffix}").exists() for suffix in ("", "-wal", "-shm"))
        opened = [
            (str(path), oct(entry.mode))
            for path, entry in iter_open(personal_data_paths(settings).values())
            if entry is not None
        ]
    assert opened == []

    written = {
        "archived request": next((settings.paths.data / "archive").rglob(f"*-{name}")),
        "response": response,
        "document": next((settings.applications_path / reference).glob("doc-*")),
        "message": next(settings.outgoing_mail_path.glob("*.eml")),
        "account": settings.accounts_path / KINE / "account.json",
        "host key": settings.host_key_path,
    }
    for what, path in written.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, what
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, what
    for folder in (settings.paths.inbox / KINE, settings.paths.outbox / KINE, settings.paths.data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

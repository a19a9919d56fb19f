"""/outbox: list, read, delete (collecting a response frees its name); everything else refused."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.exchange.runtime.reception import register_received
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import FileState, RequestFile


@pytest.fixture
def answered(server, provider, sessions):
    """A request of ``provider`` answered with a response in its outbox."""
    with sessions() as session, session.begin():
        row = register_received(
            session,
            provider_code=provider.code,
            name="a.xml",
            size=1,
            sha256="0" * 64,
            received_at=utcnow(),
            source="test",
        )
        row.state = FileState.ANSWERED
    server.outbox(provider.code).mkdir(parents=True, exist_ok=True)
    (server.outbox(provider.code) / "a_REP.xml").write_bytes(b"<Reponse/>")
    return provider


def test_the_provider_lists_reads_and_deletes_its_responses(server, answered, sessions):
    client = server.client(answered)
    assert client.listdir("/outbox") == ["a_REP.xml"]
    assert client.stat("/outbox/a_REP.xml").st_size == len(b"<Reponse/>")
    assert client.open("/outbox/a_REP.xml").read() == b"<Reponse/>"
    client.remove("/outbox/a_REP.xml")
    assert client.listdir("/outbox") == []
    with sessions() as session:
        (row,) = session.scalars(select(RequestFile))
        assert row.collected_at is not None
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "sftp.download" in actions and "sftp.delete" in actions
    with pytest.raises(FileNotFoundError):
        client.remove("/outbox/a_REP.xml")
    client.close()


def test_a_response_taken_before_its_file_is_marked_answered_still_frees_the_name(server, provider, sessions):
    """The worker links the response into the outbox, then commits ANSWERED: a provider
    polling its outbox can delete the response in between."""
    with sessions() as session, session.begin():
        row = register_received(
            session,
            provider_code=provider.code,
            name="b.xml",
            size=1,
            sha256="0" * 64,
            received_at=utcnow(),
            source="test",
        )
        row.state = FileState.PROCESSING
    server.outbox(provider.code).mkdir(parents=True, exist_ok=True)
    (server.outbox(provider.code) / "b_REP.xml").write_bytes(b"<Reponse/>")
    client = server.client(provider)
    client.remove("/outbox/b_REP.xml")
    with sessions() as session:
        (row,) = session.scalars(select(RequestFile))
        assert row.collected_at is not None
    client.putfo(io.BytesIO(b"<again/>"), "/inbox/b.xml", confirm=False)  # the name is free again
    client.close()


def test_openssh_get_and_rm(server, answered, tmp_path):
    local = tmp_path / "got.xml"
    result = server.openssh(answered, f"get /outbox/a_REP.xml {local}\nrm /outbox/a_REP.xml\n")
    assert result.returncode == 0, result.stderr
    assert local.read_bytes() == b"<Reponse/>"
    assert not (server.outbox(answered.code) / "a_REP.xml").exists()


#: what a provider may not do, by name (each must fail and change nothing)
REFUSED = {
    "write-outbox": lambda c: c.putfo(io.BytesIO(b"x"), "/outbox/new.xml", confirm=False),
    "open-response-for-writing": lambda c: c.open("/outbox/a_REP.xml", "r+"),
    "write-root": lambda c: c.putfo(io.BytesIO(b"x"), "/x.xml", confirm=False),
    "mkdir": lambda c: c.mkdir("/inbox/sub"),
    "mkdir-root": lambda c: c.mkdir("/new"),
    "rmdir": lambda c: c.rmdir("/inbox"),
    "symlink": lambda c: c.symlink("/outbox/a_REP.xml", "/inbox/l.xml"),
    "chmod": lambda c: c.chmod("/outbox/a_REP.xml", 0o777),
    "chown": lambda c: c.chown("/outbox/a_REP.xml", 0, 0),
    "truncate": lambda c: c.truncate("/outbox/a_REP.xml", 0),
    "delete-inbox": lambda c: c.remove("/inbox/pending.xml"),
    "delete-folder": lambda c: c.remove("/inbox"),
    "rename-outbox": lambda c: c.rename("/outbox/a_REP.xml", "/outbox/b_REP.xml"),
    "rename-outbox-to-inbox": lambda c: c.rename("/outbox/a_REP.xml", "/inbox/b.xml"),
    "rename-folder": lambda c: c.rename("/inbox", "/x"),
}


def test_everything_else_is_refused(server, answered):
    client = server.client(answered)
    client.putfo(io.BytesIO(b"<x/>"), "/inbox/pending.xml", confirm=False)
    accepted = []
    for name, operation in REFUSED.items():
        try:
            operation(client)
        except OSError:
            continue
        accepted.append(name)
    assert accepted == []
    assert (server.outbox(answered.code) / "a_REP.xml").read_bytes() == b"<Reponse/>"
    assert sorted(p.name for p in server.outbox(answered.code).iterdir()) == ["a_REP.xml"]
    assert sorted(p.name for p in server.inbox(answered.code).iterdir()) == ["pending.xml"]
    assert (server.inbox(answered.code) / "pending.xml").stat().st_mode & 0o777 == 0o600  # chmod refused; private
    client.close()


def test_times_may_be_set_and_are_ignored(server, answered):
    client = server.client(answered)
    client.utime("/outbox/a_REP.xml", (1, 1))  # WinSCP and "put -p" send these
    assert client.stat("/outbox/a_REP.xml").st_mtime != 1
    client.close()


def test_own_pending_files_can_be_read_back(server, provider):
    client = server.client(provider)
    client.putfo(io.BytesIO(b"<mine/>"), "/inbox/mine.xml", confirm=True)
    assert client.open("/inbox/mine.xml").read() == b"<mine/>"
    client.close()


def _row(sessions) -> RequestFile:
    with sessions() as session:
        (row,) = session.scalars(select(RequestFile))
        return row


def test_a_whole_download_collects_the_response_and_deleting_is_recorded_apart(server, answered, sessions, tmp_path):
    client = server.client(answered)
    with client.open("/outbox/a_REP.xml") as handle:
        assert handle.read(3) == b"<Re"  # a partial read is not a collection
    assert _row(sessions).downloaded_at is None
    client.close()
    # the first whole download (OpenSSH's get) collects it; the response stays in /outbox
    result = server.openssh(answered, f"get /outbox/a_REP.xml {tmp_path / 'r.xml'}\n")
    assert result.returncode == 0, result.stderr
    first = _row(sessions)
    assert first.downloaded_at is not None and first.collected_at is None
    assert (server.outbox(answered.code) / "a_REP.xml").exists()
    # a second download keeps the first time; deleting sets the deletion apart
    result = server.openssh(answered, f"get /outbox/a_REP.xml {tmp_path / 'r2.xml'}\nrm /outbox/a_REP.xml\n")
    assert result.returncode == 0, result.stderr
    second = _row(sessions)
    assert second.downloaded_at == first.downloaded_at and second.collected_at is not None
    with sessions() as session:
        downloads = [
            e.detail["collected"]
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "sftp.download").order_by(AuditEvent.id)
            )
        ]
    assert downloads == [False, True, False]

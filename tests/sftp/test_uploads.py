"""Uploads: atomic, registered before the close is answered, never half-kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import signal
import socket
import subprocess

import paramiko
import pytest
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import FileState, RequestFile
from tests.sftp.conftest import openssh_options
from tests.support import wait_until

NAME = "LAB_FACT_31000425_20261115093000_000001.xml"


def close_checked(client: paramiko.SFTPClient, handle: paramiko.SFTPFile) -> None:
    """Closes ``handle`` and raises on an error status (paramiko's close() swallows it)."""
    handle.flush()
    handle._closed = True  # paramiko must not send a second close later
    client._request(4, handle.handle)  # CMD_CLOSE


def rows(sessions, code: str | None = None) -> list[RequestFile]:
    with sessions() as session:
        query = select(RequestFile).order_by(RequestFile.id)
        if code:
            query = query.where(RequestFile.provider_code == code)
        return list(session.scalars(query))


def audit_actions(sessions, action: str) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def inbox_names(server, code: str) -> list[str]:
    folder = server.inbox(code)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "size",
    [pytest.param(0, id="empty"), pytest.param(20 * 1024, id="20KiB"), pytest.param(3 * 1024 * 1024 + 7, id="3MiB")],
)
def test_upload_is_received_and_registered_before_the_close_returns(server, provider, sessions, size):
    data = os.urandom(size)
    client = server.client(provider)
    before = utcnow()
    with client.open(f"/inbox/{NAME}", "wb") as handle:
        handle.set_pipelined(True)
        handle.write(data)
    after = utcnow()
    # no waiting: the close was answered, so the file is in place and registered
    (row,) = rows(sessions, provider.code)
    assert (row.name, row.size, row.sha256, row.source, row.state) == (
        NAME,
        size,
        hashlib.sha256(data).hexdigest(),
        "sftp",
        FileState.RECEIVED,
    )
    assert before <= row.received_at <= after
    assert (server.inbox(provider.code) / NAME).read_bytes() == data
    assert inbox_names(server, provider.code) == [NAME]
    assert client.listdir("/inbox") == [NAME]
    (event,) = audit_actions(sessions, "sftp.upload")
    assert (event.actor, event.target_id, event.detail["bytes"]) == (f"provider:{provider.code}", NAME, size)
    client.close()


def test_openssh_put_small_and_large(server, provider, sessions, tmp_path):
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    small.write_bytes(os.urandom(20 * 1024))
    large.write_bytes(os.urandom(12 * 1024 * 1024))
    result = server.openssh(provider, f"put {small} /inbox/a.xml\ncd /inbox\nput {large} b.xml\nls -1\n")
    assert result.returncode == 0, result.stderr
    registered = {r.name: r for r in rows(sessions, provider.code)}
    assert set(registered) == {"a.xml", "b.xml"}
    for name, local in (("a.xml", small), ("b.xml", large)):
        assert registered[name].sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
        assert registered[name].size == local.stat().st_size
    assert inbox_names(server, provider.code) == ["a.xml", "b.xml"]


def test_out_of_order_writes_are_hashed_from_the_file(server, provider, sessions):
    client = server.client(provider)
    with client.open("/inbox/x.xml", "wb") as handle:
        handle.seek(5)
        handle.write(b"world")
        handle.seek(0)
        handle.write(b"hello")
    (row,) = rows(sessions, provider.code)
    assert row.sha256 == hashlib.sha256(b"helloworld").hexdigest() and row.size == 10
    client.close()


def test_an_open_upload_never_shows_in_listings(server, provider, sessions):
    client = server.client(provider)
    handle = client.open("/inbox/x.xml", "wb")
    handle.write(b"partial")
    handle.flush()
    assert client.listdir("/inbox") == []
    assert [p.name.startswith(".upload-") for p in server.inbox(provider.code).iterdir()] == [True]
    assert rows(sessions) == []
    handle.close()
    assert client.listdir("/inbox") == ["x.xml"]
    client.close()


# ----------------------------------------------------------------- .part uploads


def test_part_upload_waits_and_plain_rename_receives_it(server, provider, sessions):
    client = server.client(provider)
    client.putfo(io.BytesIO(b"<xml/>"), f"/inbox/{NAME}.part", confirm=True)
    assert rows(sessions) == []
    assert client.listdir("/inbox") == [f"{NAME}.part"]
    before = utcnow()
    client.rename(f"/inbox/{NAME}.part", f"/inbox/{NAME}")
    (row,) = rows(sessions, provider.code)
    assert row.name == NAME and row.received_at >= before  # recuLe is the rename
    assert row.sha256 == hashlib.sha256(b"<xml/>").hexdigest()
    assert client.listdir("/inbox") == [NAME]
    with pytest.raises(PermissionError):  # a received file cannot be renamed
        client.rename(f"/inbox/{NAME}", "/inbox/other.xml")
    client.close()


def test_posix_rename_is_advertised_and_used_by_openssh(server, provider, sessions, tmp_path):
    local = tmp_path / "f.xml"
    local.write_bytes(b"<x/>")
    result = server.openssh(
        provider, f"put {local} /inbox/f.xml.part\nrename /inbox/f.xml.part /inbox/f.xml\n", options=("-vv",)
    )
    assert result.returncode == 0, result.stderr
    assert "posix-rename@openssh.com" in result.stderr  # the client saw the extension
    assert [r.name for r in rows(sessions, provider.code)] == ["f.xml"]
    client = server.client(provider)
    client.putfo(io.BytesIO(b"<y/>"), "/inbox/g.xml.part", confirm=False)
    client.posix_rename("/inbox/g.xml.part", "/inbox/g.xml")
    assert [r.name for r in rows(sessions, provider.code)] == ["f.xml", "g.xml"]
    assert inbox_names(server, provider.code) == ["f.xml", "g.xml"]
    client.close()


def test_a_part_rename_onto_a_pending_name_is_refused_and_the_part_kept(server, provider, sessions):
    client = server.client(provider)
    client.putfo(io.BytesIO(b"first"), "/inbox/a.xml", confirm=False)
    client.putfo(io.BytesIO(b"second"), "/inbox/a.xml.part", confirm=False)
    with pytest.raises(PermissionError):
        client.rename("/inbox/a.xml.part", "/inbox/a.xml")
    assert (server.inbox(provider.code) / "a.xml").read_bytes() == b"first"
    assert sorted(client.listdir("/inbox")) == ["a.xml", "a.xml.part"]
    assert len(rows(sessions)) == 1
    client.close()


# ----------------------------------------------------------------- names


def test_no_upload_replaces_a_pending_file(server, provider, sessions):
    client = server.client(provider)
    client.putfo(io.BytesIO(b"first"), "/inbox/a.xml", confirm=False)
    with pytest.raises(PermissionError):
        client.putfo(io.BytesIO(b"second"), "/inbox/a.xml", confirm=False)
    assert (server.inbox(provider.code) / "a.xml").read_bytes() == b"first"
    assert len(rows(sessions)) == 1
    client.close()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(".hidden.xml", id="hidden"),
        pytest.param("a b.xml", id="space"),
        pytest.param("caf\u00e9.xml", id="non-ascii"),
        pytest.param("a;rm.xml", id="semicolon"),
        pytest.param("x" * 201, id="too-long"),
    ],
)
def test_names_outside_the_pattern_are_refused_at_open(server, provider, name):
    client = server.client(provider)
    with pytest.raises(PermissionError):
        client.open(f"/inbox/{name}", "wb")
    assert inbox_names(server, provider.code) == []
    client.close()


def hold(sessions, code: str, name: str, *, state: str = FileState.ANSWERED) -> None:
    """A file of ``code`` already received under ``name`` (no longer in the inbox)."""
    from gateway.exchange.runtime.reception import register_received

    with sessions() as session, session.begin():
        row = register_received(
            session, provider_code=code, name=name, size=1, sha256="0" * 64, received_at=utcnow(), source="test"
        )
        row.state = state


@pytest.mark.parametrize(
    "held,upload",
    [
        pytest.param("a.xml", "a.xml", id="same-name"),
        pytest.param("a.xml", "a", id="same-response-name"),
    ],
)
def test_held_names_are_refused_until_the_response_is_collected(server, provider, sessions, held, upload):
    hold(sessions, provider.code, held)
    client = server.client(provider)
    with pytest.raises(PermissionError):
        client.putfo(io.BytesIO(b"again"), f"/inbox/{upload}", confirm=False)
    client.putfo(io.BytesIO(b"again"), f"/inbox/{upload}.part", confirm=False)
    with pytest.raises(PermissionError):
        client.rename(f"/inbox/{upload}.part", f"/inbox/{upload}")
    # the provider collects the response: the name is free again
    server.outbox(provider.code).mkdir(parents=True, exist_ok=True)
    (server.outbox(provider.code) / "a_REP.xml").write_bytes(b"<reponse/>")
    client.remove("/outbox/a_REP.xml")
    client.rename(f"/inbox/{upload}.part", f"/inbox/{upload}")
    assert [r.name for r in rows(sessions, provider.code) if r.collected_at is None] == [upload]
    client.close()


def test_a_registration_refused_at_close_fails_the_close_and_keeps_nothing(server, provider, sessions):
    client = server.client(provider)
    handle = client.open("/inbox/b.xml", "wb")
    handle.write(b"data")
    hold(sessions, provider.code, "b", state=FileState.RECEIVED)  # another node took the name meanwhile
    with pytest.raises(PermissionError):
        close_checked(client, handle)
    assert inbox_names(server, provider.code) == []
    assert [r.name for r in rows(sessions)] == ["b"]
    (event,) = [e for e in audit_actions(sessions, "sftp.upload") if e.outcome == "refused"]
    assert event.target_id == "b.xml"
    client.close()


def test_a_second_close_is_harmless(server, provider, sessions):
    client = server.client(provider)
    handle = client.open("/inbox/c.xml", "wb")
    handle.write(b"data")
    close_checked(client, handle)
    with pytest.raises(OSError):
        client._request(4, handle.handle)  # CMD_CLOSE again: invalid handle
    client.get_channel().get_transport().close()  # teardown after the close must not abort the file
    wait_until(lambda: server.server.connection_count == 0)
    assert inbox_names(server, provider.code) == ["c.xml"]
    assert [r.name for r in rows(sessions)] == ["c.xml"]


# ----------------------------------------------------------------- size limit


def test_size_limit_is_inclusive_and_enforced_while_writing(start_server, provider, sessions):
    server = start_server(max_file_bytes=64 * 1024)
    client = server.client(provider)
    client.putfo(io.BytesIO(b"x" * 64 * 1024), "/inbox/exact.xml", confirm=False)
    handle = client.open("/inbox/over.xml", "wb")
    with pytest.raises(OSError):
        handle.write(b"y" * (64 * 1024 + 1))
        handle.flush()
    with pytest.raises(OSError, match="larger than"):
        close_checked(client, handle)
    assert inbox_names(server, provider.code) == ["exact.xml"]
    assert [r.name for r in rows(sessions)] == ["exact.xml"]
    client.close()


# ----------------------------------------------------------------- broken sessions


def test_a_transport_cut_mid_upload_leaves_nothing(server, provider, sessions):
    transport = server.transport(provider)
    client = paramiko.SFTPClient.from_transport(transport)
    handle = client.open("/inbox/cut.xml", "wb")
    handle.write(os.urandom(256 * 1024))
    handle.flush()
    assert len(list(server.inbox(provider.code).iterdir())) == 1
    transport.sock.shutdown(socket.SHUT_RDWR)  # abrupt: no channel close, no SFTP close
    transport.sock.close()
    wait_until(lambda: inbox_names(server, provider.code) == [] and audit_broken(sessions), timeout_s=10)
    assert rows(sessions) == []


def audit_broken(sessions) -> bool:
    return any(e.outcome == "broken" for e in audit_actions(sessions, "sftp.upload"))


def test_killing_openssh_sftp_mid_upload_leaves_nothing(server, provider, sessions, tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(os.urandom(48 * 1024 * 1024))
    process = subprocess.Popen(
        ["sftp", "-b", "-", "-B", "4096", "-R", "1", *openssh_options(server, provider), f"{provider.code}@127.0.0.1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process.stdin.write(f"put {big} /inbox/big.xml\n")
    process.stdin.close()
    wait_until(
        lambda: (
            any(p.stat().st_size > 0 for p in server.inbox(provider.code).glob(".upload-*"))
            if server.inbox(provider.code).exists()
            else False
        ),
        timeout_s=20,
        interval_s=0.005,
    )
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    wait_until(lambda: inbox_names(server, provider.code) == [] and audit_broken(sessions), timeout_s=10)
    assert rows(sessions) == []


def test_stopping_the_server_closes_open_uploads_as_broken(start_server, provider, sessions):
    server = start_server()
    client = server.client(provider)
    handle = client.open("/inbox/s.xml", "wb")
    handle.write(b"x" * 1000)
    handle.flush()
    server.stop()
    assert inbox_names(server, provider.code) == []
    assert rows(sessions) == [] and audit_broken(sessions)


# ----------------------------------------------------------------- .part sweep


def sweep_inbox(root, *, part_max_age, temp_max_age):
    """What one housekeeping pass removes from every provider folder (no live session anywhere)."""
    import time

    from gateway.sftp.sweep import TempJudge, dead_temps, old_parts, provider_folders, remove, scan

    judge = TempJudge(list, stale_s=45.0, max_age_s=temp_max_age, now=time.time())
    removed = []
    for folder in provider_folders(root):
        entries = scan(folder)
        removed += remove([path for path, _ in dead_temps(entries, judge)])
        removed += remove(old_parts(entries, part_max_age=part_max_age, now=judge.now))
    return removed


def test_old_part_uploads_are_swept(tmp_path):
    folder = tmp_path / "inbox" / "31000425"
    folder.mkdir(parents=True)
    for name in ("old.xml.part", "new.xml.part", "kept.xml", ".upload-abc", ".upload-new"):
        (folder / name).write_bytes(b"x")
    hour_ago = (dt.datetime.now() - dt.timedelta(hours=1)).timestamp()
    for name in ("old.xml.part", "kept.xml", ".upload-abc"):
        os.utime(folder / name, (hour_ago, hour_ago))
    os.symlink(folder / "kept.xml", folder / "link.part")
    removed = sweep_inbox(tmp_path / "inbox", part_max_age=1800, temp_max_age=1800)
    assert sorted(p.name for p in removed) == [".upload-abc", "old.xml.part"]
    assert sorted(p.name for p in folder.iterdir()) == [".upload-new", "kept.xml", "link.part", "new.xml.part"]


def test_the_running_server_sweeps_parts(start_server, provider):
    server = start_server(part_max_age=0.0, sweep_interval=0.2)
    client = server.client(provider)
    client.putfo(io.BytesIO(b"x"), "/inbox/p.xml.part", confirm=False)
    wait_until(lambda: client.listdir("/inbox") == [], timeout_s=10)
    client.close()


def test_concurrent_registrations_share_commits_and_refuse_only_the_held_one(sessions, provider):
    import threading

    from gateway.clock import SystemClock
    from gateway.exchange.runtime.reception import NameHeld
    from gateway.sftp.registrar import Registrar, Registration
    from gateway.sftp.session import Who

    hold(sessions, provider.code, "held.xml", state=FileState.RECEIVED)
    registrar = Registrar(sessions, SystemClock())
    who = Who(provider.code, "LAB", "127.0.0.1", "s", "publickey", "", utcnow())
    names = [f"n{i}.xml" for i in range(12)] + ["held"]
    outcomes: dict[str, object] = {}

    def register(name: str) -> None:
        try:
            outcomes[name] = registrar.register(Registration(who, name, 1, "0" * 64, 0.0, "upload"))
        except NameHeld as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=register, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes.pop("held"), NameHeld)
    assert all(isinstance(v, int) for v in outcomes.values()) and len(set(outcomes.values())) == 12
    assert sorted(r.name for r in rows(sessions)) == sorted(["held.xml", *outcomes])

"""Disk a provider may use: files and bytes in its inbox (``.part`` uploads included), free space."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess

import pytest

from gateway.sftp.quota import free_bytes
from tests.sftp.conftest import openssh_options
from tests.sftp.test_uploads import audit_actions, close_checked, inbox_names, rows
from tests.support import wait_until

KIB = 1024


def with_quota(start_server, server, **changes):
    return start_server(quota=dataclasses.replace(server.config.quota, **changes))


def test_files_in_the_inbox_are_capped(start_server, server, provider, sessions):
    capped = with_quota(start_server, server, max_files=3)
    client = capped.client(provider)
    client.putfo(io.BytesIO(b"<a/>"), "/inbox/a.xml", confirm=True)
    client.putfo(io.BytesIO(b"<b/>"), "/inbox/b.xml.part", confirm=True)  # .part files count too
    client.putfo(io.BytesIO(b"<c/>"), "/inbox/c.xml", confirm=True)
    with pytest.raises(OSError, match="inbox full: 3 files waiting \\(at most 3\\).*boîte de dépôt pleine"):
        client.putfo(io.BytesIO(b"<d/>"), "/inbox/d.xml", confirm=True)
    assert inbox_names(capped, provider.code) == ["a.xml", "b.xml.part", "c.xml"]
    assert [r.name for r in rows(sessions)] == ["a.xml", "c.xml"]
    client.close()


def test_bytes_in_the_inbox_are_capped_and_the_refused_upload_leaves_nothing(start_server, server, provider, sessions):
    capped = with_quota(start_server, server, max_bytes=100 * KIB)
    client = capped.client(provider)
    client.putfo(io.BytesIO(os.urandom(60 * KIB)), "/inbox/a.xml.part", confirm=True)
    handle = client.open("/inbox/b.xml", "wb")
    handle.write(os.urandom(30 * KIB))
    with pytest.raises(OSError, match="inbox full: this upload would take it to .*boîte de dépôt pleine"):
        handle.write(os.urandom(30 * KIB))  # paramiko writes one request at a time unless pipelined
    with pytest.raises(OSError, match="inbox full"):
        close_checked(client, handle)  # and the close fails too
    wait_until(lambda: inbox_names(capped, provider.code) == ["a.xml.part"], timeout_s=10)  # no temp file left
    assert rows(sessions) == []
    refused = [e for e in audit_actions(sessions, "sftp.upload") if e.outcome == "refused"]
    assert [e.detail["code"] for e in refused] == ["SFTP-QUOTA"]
    client.putfo(io.BytesIO(os.urandom(30 * KIB)), "/inbox/c.xml", confirm=True)  # what fits still goes
    client.close()


def test_openssh_put_over_the_quota_fails_and_leaves_nothing(start_server, server, provider, tmp_path):
    capped = with_quota(start_server, server, max_bytes=100 * KIB)
    local = tmp_path / "big.xml"
    local.write_bytes(os.urandom(150 * KIB))
    result = subprocess.run(
        ["sftp", "-b", "-", *openssh_options(capped, provider), f"{provider.code}@127.0.0.1"],
        input=f"put {local} /inbox/big.xml\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert 'write remote "/inbox/big.xml": Failure' in result.stderr  # OpenSSH prints no server text
    assert inbox_names(capped, provider.code) == []


def test_uploads_are_refused_below_the_free_space_floor(start_server, server, provider):
    floor = free_bytes(server.config.inbox_root) + 1024**4  # a terabyte more than there is
    starved = with_quota(start_server, server, min_free_bytes=floor)
    client = starved.client(provider)
    with pytest.raises(OSError, match="short of disk space.*manque d'espace disque"):
        client.putfo(io.BytesIO(b"<x/>"), "/inbox/x.xml", confirm=True)
    assert client.listdir("/inbox") == []
    client.close()

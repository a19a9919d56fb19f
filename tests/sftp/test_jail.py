"""The jail: no path, rename or listing reaches another provider's files or anything outside."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from gateway.sftp.errors import NameRefused, NoSuchFile
from gateway.sftp.jail import Area, Jail

CODE = "31000425"
OTHER = "31000433"


@pytest.fixture
def jail(tmp_path: Path) -> Jail:
    return Jail(tmp_path / "inbox", tmp_path / "outbox", CODE)


@pytest.mark.parametrize(
    "path,area,name",
    [
        pytest.param("/", Area.ROOT, None, id="root"),
        pytest.param(".", Area.ROOT, None, id="dot"),
        pytest.param("", Area.ROOT, None, id="empty"),
        pytest.param("/inbox", Area.INBOX, None, id="inbox"),
        pytest.param("inbox/", Area.INBOX, None, id="inbox-relative"),
        pytest.param("/outbox/A_REP.xml", Area.OUTBOX, "A_REP.xml", id="outbox-file"),
        pytest.param("/inbox/../outbox/A_REP.xml", Area.OUTBOX, "A_REP.xml", id="dotdot-inside"),
        pytest.param("/../../inbox/a.xml", Area.INBOX, "a.xml", id="dotdot-stops-at-root"),
        pytest.param("//inbox//./a.xml", Area.INBOX, "a.xml", id="doubled-slashes"),
    ],
)
def test_paths_inside_resolve_to_the_providers_folders(jail, tmp_path, path, area, name):
    where = jail.resolve(path)
    assert (where.area, where.name) == (area, name)
    if where.path is not None:
        assert where.path.is_relative_to(tmp_path / str(area) / CODE)


@pytest.mark.parametrize(
    "path,error",
    [
        pytest.param("/etc/passwd", NoSuchFile, id="absolute-outside"),
        pytest.param("/../../../etc/passwd", NoSuchFile, id="dotdot-outside"),
        pytest.param(f"/inbox/../../inbox/{OTHER}/x.xml", NoSuchFile, id="other-provider-by-dotdot"),
        pytest.param(f"/inbox/{OTHER}/x.xml", NoSuchFile, id="other-provider-subfolder"),
        pytest.param("/inbox/a/b", NoSuchFile, id="too-deep"),
        pytest.param("/inbox/..%2f..%2fetc%2fpasswd", NameRefused, id="percent-encoded"),
        pytest.param("/inbox/%2e%2e", NameRefused, id="percent-dots"),
        pytest.param("/inbox/\u2025\uff0fetc", NameRefused, id="unicode-lookalikes"),
        pytest.param("/inbox/caf\u00e9.xml", NameRefused, id="non-ascii"),
        pytest.param("/inbox/a\x00.xml", NoSuchFile, id="nul-byte"),
        pytest.param("/inbox/" + "a" * 201, NameRefused, id="name-too-long"),
        pytest.param("/inbox/" + "a/" * 600, NoSuchFile, id="path-too-long"),
        pytest.param("/inbox/.hidden", NameRefused, id="hidden"),
        pytest.param("/inbox/.upload-0123", NameRefused, id="temp-name"),
        pytest.param("/inbox/a\\..\\..\\x", NameRefused, id="backslashes"),
        pytest.param("/inbox/a.xml\n", NameRefused, id="trailing-newline"),
        pytest.param("/inbox/-", NameRefused, id="leading-dash"),
    ],
)
def test_paths_outside_or_malformed_are_refused(jail, path, error):
    with pytest.raises(error):
        jail.resolve(path)


# ----------------------------------------------------------------- against the live server


@pytest.fixture
def two(server, make_provider):
    """Two providers; the second has a pending file and a response."""
    me, other = make_provider("LAB"), make_provider("LAB")
    for folder in (server.inbox(other.code), server.outbox(other.code)):
        folder.mkdir(parents=True, exist_ok=True)
    (server.inbox(other.code) / "secret.xml").write_bytes(b"other's request")
    (server.outbox(other.code) / "secret_REP.xml").write_bytes(b"other's response")
    return me, other


#: paths aiming at another provider's files or at the host, by name
ESCAPES = {
    "dotdot": "/inbox/../../inbox/{other}/secret.xml",
    "relative-dotdot": "../inbox/{other}/secret.xml",
    "absolute-host-path": "{root}/inbox/{other}/secret.xml",
    "percent": "/outbox/..%2f{other}%2fsecret_REP.xml",
    "system-file": "/etc/passwd",
}


def test_no_read_reaches_another_provider_or_the_host(server, two):
    me, other = two
    client = server.client(me)
    reached = []
    for name, path in ESCAPES.items():
        target = path.format(other=other.code, root=server.config.inbox_root.parent)
        for attempt in (lambda t=target: client.open(t).read(), lambda t=target: client.stat(t)):
            try:
                attempt()
            except OSError:
                continue
            reached.append(name)
    assert reached == []
    client.close()


def test_listings_show_only_the_providers_own_files(server, two):
    me, other = two
    client = server.client(me)
    assert sorted(client.listdir("/")) == ["inbox", "outbox"]
    assert client.listdir("/inbox") == []
    assert client.listdir("/outbox") == []
    for path in ("/inbox/..", "/..", "/inbox/../.."):
        assert sorted(client.listdir(path)) == ["inbox", "outbox"]
    for path in (f"/inbox/{other.code}", "/etc", "/inbox/secret.xml"):
        with pytest.raises(OSError):
            client.listdir(path)
    client.close()


def test_a_symlink_planted_in_the_spool_is_not_followed(server, two, tmp_path):
    me, other = two
    mine = server.inbox(me.code)
    mine.mkdir(parents=True, exist_ok=True)
    server.outbox(me.code).mkdir(parents=True, exist_ok=True)
    os.symlink(server.inbox(other.code) / "secret.xml", mine / "link.xml")
    os.symlink(server.outbox(other.code) / "secret_REP.xml", server.outbox(me.code) / "link_REP.xml")
    os.symlink(tmp_path, mine / "folder")
    client = server.client(me)
    assert client.listdir("/inbox") == [] and client.listdir("/outbox") == []
    for path in ("/inbox/link.xml", "/outbox/link_REP.xml", "/inbox/folder"):
        with pytest.raises(OSError):
            client.open(path).read()
    with pytest.raises(OSError):
        client.remove("/outbox/link_REP.xml")
    with pytest.raises(OSError):  # uploading onto the link's name must not write through it
        client.putfo(io.BytesIO(b"x"), "/inbox/link.xml", confirm=False)
    assert (server.inbox(other.code) / "secret.xml").read_bytes() == b"other's request"
    assert (server.outbox(other.code) / "secret_REP.xml").exists()
    client.close()


def test_renames_cannot_leave_the_inbox(server, two):
    me, other = two
    client = server.client(me)
    client.putfo(io.BytesIO(b"data"), "/inbox/up.part", confirm=False)
    for target in (f"/inbox/../../inbox/{other.code}/x.xml", "/outbox/x.xml", "/x.xml", "/inbox/a/b.xml"):
        with pytest.raises(OSError):
            client.rename("/inbox/up.part", target)
    with pytest.raises(OSError):
        client.rename(f"/inbox/../../inbox/{other.code}/secret.xml", "/inbox/mine.xml")
    assert sorted(client.listdir("/inbox")) == ["up.part"]
    assert sorted(p.name for p in server.inbox(other.code).iterdir()) == ["secret.xml"]
    client.close()


def test_nul_and_invalid_utf8_paths_are_refused(server, two):
    me, _ = two
    client = server.client(me)
    for raw in (b"/inbox/a\x00b.xml", b"/inbox/\xff\xfe.xml"):
        with pytest.raises(OSError) as caught:
            client._request(3, raw, 0x1A, paramiko_attrs())  # CMD_OPEN, write|create|trunc
        assert caught.value.errno in (errno.EACCES, errno.ENOENT)
    assert list(server.inbox(me.code).iterdir()) == []
    client.close()


def paramiko_attrs():
    from paramiko import SFTPAttributes

    return SFTPAttributes()

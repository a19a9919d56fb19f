"""Personal data at rest: files 0600 and folders 0700 whatever the umask, and warnings about
existing files that other users can read (check-config, /status)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.host_checks import host_checks
from gateway.store.db import make_engine
from gateway.store.files import atomic_write, make_folder
from gateway.store.modes import find_open
from tests.support import run_gateway


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The umask most shells start with: without explicit modes, files come out 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_folders_and_files_are_private_under_a_loose_umask(loose_umask, tmp_path):
    target = tmp_path / "a" / "b" / "c" / "response.xml"
    assert atomic_write(target, b"<x/>")
    assert not atomic_write(target, b"<y/>", overwrite=False)
    assert mode(target) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(folder) == 0o700, folder
    assert make_folder(tmp_path / "a") == tmp_path / "a"  # an existing folder is fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        make_folder(tmp_path / "file")


def test_sqlite_database_and_its_wal_files_are_private(loose_umask, tmp_path):
    database = tmp_path / "var" / "gateway.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (matricule TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('1980010112345')"))
        with engine.connect() as connection:  # WAL mode keeps -wal and -shm while connected
            connection.execute(text("SELECT * FROM t")).all()
            for name in ("gateway.db", "gateway.db-wal", "gateway.db-shm"):
                assert mode(database.parent / name) == 0o600, name
        assert mode(database.parent) == 0o700
    finally:
        engine.dispose()


def test_find_open_reports_open_entries_and_skips_links(tmp_path):
    private = make_folder(tmp_path / "data" / "private")
    atomic_write(private / "ok.txt", b"x")
    shared = tmp_path / "data" / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / "iban.txt").write_text("LU28...")
    (shared / "iban.txt").chmod(0o644)
    (private / "link").symlink_to("/etc/passwd")
    (tmp_path / "data").chmod(0o700)

    scan = find_open([tmp_path / "data", tmp_path / "missing"])
    assert scan.complete
    assert {(e.path.name, e.mode, e.is_folder) for e in scan.found} == {
        ("shared", 0o755, True),
        ("iban.txt", 0o644, False),
    }
    assert "chmod -R go-rwx" in next(e for e in scan.found if e.is_folder).sentence()
    assert find_open([tmp_path / "data"], limit=1).complete is False
    assert find_open([tmp_path / "data"], max_entries=2).examined == 2


def test_status_names_the_open_folder_without_its_path(tmp_path):
    data, inbox = make_folder(tmp_path / "var"), make_folder(tmp_path / "inbox")
    assert host_checks({"data": data, "inbox": inbox}) == [("file modes", "ok", "private")]
    (inbox / "45001237").mkdir(mode=0o755)
    (inbox / "45001237").chmod(0o755)
    [(name, result, detail)] = host_checks({"data": data, "inbox": inbox})
    assert (name, result) == ("file modes", "warn")
    assert "inbox" in detail and "data" not in detail.split("under ")[1].split(";")[0]
    assert str(tmp_path) not in detail


def test_check_config_warns_about_readable_personal_data(project):
    settings = project.settings()
    make_folder(settings.paths.data)
    atomic_write(settings.paths.data / "private.txt", b"x")
    result = run_gateway("check-config", config=project.config)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr

    exposed = settings.paths.data / "export.csv"
    exposed.write_text("matricule;iban\n")
    exposed.chmod(0o644)
    result = run_gateway("check-config", config=project.config)
    assert result.returncode == 0, result.stderr
    assert f"file {exposed} can be read by other users (mode 0644)" in result.stderr
    assert f"chmod go-rwx {exposed}" in result.stderr
    assert "configuration OK" in result.stdout

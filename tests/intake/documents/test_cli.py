"""``gateway intake check``: JSON lines or a table, exit 1 when a file is refused, 2 on misuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.intake.documents import samples as s
from tests.support import run_gateway


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[intake]\nmax_document_bytes = 100000\n[log]\nformat = "json"\n')
    return path


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def big_pdf(folder: Path) -> Path:
    """A readable PDF of about 100 KB: over the test config's limit of 100000 bytes."""
    return write(folder, "gros.pdf", s.fpdf_pdf(pages=2) + b"\n" * 100_000)


def test_json_one_object_per_file_and_exit_1_when_refused(tmp_path: Path, config: Path) -> None:
    good = write(tmp_path, "fiche.pdf", s.fpdf_pdf())
    bad = write(tmp_path, "photo.pdf", s.jpeg_bytes())
    big = big_pdf(tmp_path)
    done = run_gateway("intake", "check", str(good), str(bad), str(big), "--json", config=config)
    assert done.returncode == 1, done.stderr
    first, second, third = lines(done.stdout)
    assert (first["file"], first["verdict"], first["reason"], first["flags"]) == (str(good), "accepted", None, [])
    assert (second["verdict"], second["reason"]) == ("refused", "jpeg_refuse")
    assert (third["reason"], third["size"], third["sha256"]) == ("fichier_trop_volumineux", big.stat().st_size, None)
    assert first["page_count"] == 1 and len(first["sha256"]) == 64 and first["scanned"] is False


def test_all_accepted_exits_0(tmp_path: Path, config: Path) -> None:
    good = write(tmp_path, "joint", s.attachment_pdf())
    done = run_gateway("intake", "check", str(good), "--json", config=config)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[0]["flags"] == ["pdf_fichier_joint", "extension_trompeuse"]


def test_name_option_applies_the_name_rules(tmp_path: Path, config: Path) -> None:
    good = write(tmp_path, "upload.bin", s.fpdf_pdf())
    done = run_gateway("intake", "check", str(good), "--name", "page.html", "--json", config=config)
    assert done.returncode == 1
    row = lines(done.stdout)[0]
    assert (row["reason"], row["display_name"]) == ("htm_refuse", "page.html")


def test_size_limit_from_the_environment_overrides_the_file(tmp_path: Path, config: Path) -> None:
    big = big_pdf(tmp_path)
    done = run_gateway(
        "intake", "check", str(big), "--json", config=config, env={"GATEWAY_INTAKE__MAX_DOCUMENT_BYTES": "300000"}
    )
    assert lines(done.stdout)[0]["verdict"] == "accepted"


def test_table_without_json(tmp_path: Path, config: Path) -> None:
    good = write(tmp_path, "fiche.pdf", s.fpdf_pdf())
    bad = write(tmp_path, "page.htm", s.HTML)
    done = run_gateway("intake", "check", str(good), str(bad), config=config)
    assert done.returncode == 1
    assert "htm_refuse" in done.stdout and "accepted" in done.stdout
    assert "Web pages (HTML) are not accepted" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--name", "x.pdf", "a.pdf", "b.pdf"], id="name-with-two-files"),
        pytest.param(["missing.pdf"], id="missing-file"),
        pytest.param([], id="no-file"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, config: Path, args: list[str]) -> None:
    for name in ("a.pdf", "b.pdf"):
        write(tmp_path, name, s.fpdf_pdf())
    done = run_gateway("intake", "check", *args, config=config, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)


def test_unreachable_scanner_is_a_configuration_error(tmp_path: Path, config: Path) -> None:
    good = write(tmp_path, "fiche.pdf", s.fpdf_pdf())
    done = run_gateway(
        "intake",
        "check",
        str(good),
        "--json",
        config=config,
        env={"GATEWAY_INTAKE__CLAMD_SOCKET": str(tmp_path / "none.sock")},
    )
    assert done.returncode == 2
    assert "INT-SCAN-UNAVAILABLE" in done.stderr and done.stdout == ""


def test_real_clamd_from_the_configuration(tmp_path: Path, config: Path, clamd) -> None:
    good = write(tmp_path, "fiche.pdf", s.fpdf_pdf())
    done = run_gateway(
        "intake", "check", str(good), "--json", config=config, env={"GATEWAY_INTAKE__CLAMD_SOCKET": str(clamd.socket)}
    )
    assert done.returncode == 0, done.stderr
    row = lines(done.stdout)[0]
    assert (row["scanned"], row["scan_result"]) == (True, "OK")

"""``gateway validate`` as an operator runs it: the installed command, a real config and database."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from tests.conftest import Project
from tests.exchange import samples as s
from tests.support import run_gateway

from .conftest import validate_response


def write(folder: Path, data: bytes, name: str | None = None) -> Path:
    path = folder / (name or s.file_name())
    path.write_bytes(data)
    return path


def test_valid_file_exits_0(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, s.build_request(s.Header(created="2026-01-01T00:00:00+01:00")))
    run = run_gateway("validate", str(path), config=project.config)
    assert run.returncode == 0, run.stderr
    assert f"{path.name}: ACCEPTE" in run.stdout


def test_files_are_judged_in_order_with_json(project: Project, tmp_path: Path) -> None:
    first = write(tmp_path, s.build_request(s.Header(created="2026-01-01T00:00:00+01:00")))
    copy = write(tmp_path, first.read_bytes(), s.file_name(sequence=2))
    run = run_gateway("validate", "--json", str(first), str(copy), config=project.config)
    assert run.returncode == 1
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(o["file"], o["status"]) for o in lines] == [(first.name, "ACCEPTE"), (copy.name, "DOUBLON")]
    assert lines[1]["duplicate_of"] == first.name


def test_response_is_printed_and_valid(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, s.build_request(s.Header(created="2026-01-01T00:00:00+01:00", count=3)))
    run = run_gateway("validate", "--response", str(path), config=project.config)
    assert run.returncode == 1
    root = validate_response(run.stdout.encode())
    assert root.findtext("{urn:cns:echange:reponse:1}Statut") == "REJETE"
    assert [e.get("code") for e in root.iter("{urn:cns:echange:reponse:1}Erreur")] == ["ENT-006"]


def test_uploader_from_the_name_else_provider(project: Project, engine, tmp_path: Path) -> None:
    path = write(tmp_path, s.build_request(s.Header(created="2026-01-01T00:00:00+01:00")))
    added = run_gateway(
        "providers", "add", "45001245", "--profession", "KINE", "--name", "Kine Two", config=project.config
    )
    assert added.returncode == 0, added.stderr
    run = run_gateway("validate", "--json", "--provider", "45001245", str(path), config=project.config)
    assert run.returncode == 1
    outcome = json.loads(run.stdout)
    assert [f["code"] for f in outcome["file_findings"]] == ["FIC-004"]
    unknown = run_gateway("validate", "--provider", "45001252", str(path), config=project.config)
    assert unknown.returncode == 2


def test_usage_errors_exit_2(project: Project, tmp_path: Path) -> None:
    assert run_gateway("validate", str(tmp_path / "missing.xml"), config=project.config).returncode == 2
    broken = tmp_path / "broken.toml"
    broken.write_text('[paths]\nschemas = "nowhere"\n')
    path = write(tmp_path, s.build_request())
    assert run_gateway("validate", str(path), config=broken).returncode == 2


def test_each_response_validates(project: Project, tmp_path: Path) -> None:
    bad = write(tmp_path, b"<oops>", "x.xml")
    run = run_gateway("validate", "--response", str(bad), config=project.config)
    assert run.returncode == 1
    root = etree.fromstring(run.stdout.encode())
    validate_response(etree.tostring(root))
    # FIC-001 is FATAL at stage 0: the XML stage never runs
    assert [e.get("code") for e in root.iter("{urn:cns:echange:reponse:1}Erreur")] == ["FIC-001"]

"""The commands as an operator runs them: ``gateway intake submit|approve|report|...``, ``gateway codes import``.

The commands run in this process through the console script's own entry point (argument
parsing, error translation and exit status included); the installed command is run as a
separate process by the concurrent-approval test in test_codes.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import structlog

from gateway.cli import main
from gateway.intake.requirements import DocumentKind as K
from tests.intake.applications.conftest import matricule, pdf_for
from tests.intake.documents.samples import jpeg_bytes


@pytest.fixture
def run_gateway(capsys, monkeypatch, request):
    """Runs ``gateway ARGS --config FILE`` through its entry point; returns the exit status and output."""
    # The command would point the process's logging at this test's captured stderr, which
    # closes after the test: here log lines are dropped instead, and the defaults come back after.
    monkeypatch.setattr(
        "gateway.logs.configure_logging",  # imported by each command as it starts
        lambda *args, **kwargs: structlog.configure(logger_factory=structlog.ReturnLoggerFactory()),
    )
    request.addfinalizer(structlog.reset_defaults)

    def run(*args: str, config) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["gateway", *args, "--config", str(config)])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


DATA = [
    "--name",
    "Orthopédie Dupont",
    "--legal-form",
    "SARL",
    "--street",
    "12, rue de la Gare",
    "--postcode",
    "L-1611",
    "--locality",
    "Luxembourg",
    "--register-number",
    "B123456",
    "--authorisation",
    "10098765/1",
    "--manager-first-name",
    "Anne",
    "--manager-last-name",
    "Dupont",
    "--matricule",
    matricule(),
    "--email",
    "anne@dupont.lu",
    "--phone",
    "+352 621 123 456",
    "--iban",
    "LU28 0019 4006 4475 0000",
]


def documents(tmp_path, replace: dict | None = None) -> list[str]:
    args = []
    for kind in K:
        path = tmp_path / f"scan-{kind}.pdf"
        path.write_bytes((replace or {}).get(kind, pdf_for(kind)))
        args += ["--document", f"{kind}={path}"]
    return args


def test_paper_application_then_approval_and_printable_report(run_gateway, project, engine, tmp_path):
    done = run_gateway(
        "intake", "submit", *DATA, *documents(tmp_path), "--staff", "marie", "--json", config=project.config
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "TRANSMISE" and result["report"]["verdict"] == "COMPLET"
    assert [d["verdict"] for d in result["documents"]] == ["accepted"] * 6
    reference = result["reference"]

    approved = run_gateway("intake", "approve", reference, "--staff", "marie", "--json", config=project.config)
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["provider_code"] == "63000012"

    pdf = tmp_path / "report.pdf"
    assert (
        run_gateway("intake", "report", reference, "--format", "pdf", "-o", str(pdf), config=project.config).returncode
        == 0
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"
    listed = run_gateway("providers", "show", "63000012", config=project.config)
    assert listed.returncode == 0 and "OCB" in listed.stdout
    again = run_gateway("intake", "approve", reference, config=project.config)
    assert again.returncode == 1 and "INT-STATUS" in again.stderr


def test_refused_document_exits_1_and_is_reported(run_gateway, project, engine, tmp_path):
    done = run_gateway(
        "intake", "submit", *DATA, *documents(tmp_path, {K.RIB: jpeg_bytes()}), "--json", config=project.config
    )
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["report"]["verdict"] == "INCOMPLET"
    assert {d["kind"]: d["reason"] for d in result["documents"]}["rib"] == "jpeg_refuse"
    reference = result["reference"]
    refused = run_gateway("intake", "approve", reference, config=project.config)
    assert refused.returncode == 1 and "INT-INCOMPLET" in refused.stderr
    asked = run_gateway(
        "intake", "request-correction", reference, "--message", "Envoyez le RIB en PDF.", config=project.config
    )
    assert asked.returncode == 0 and "A_CORRIGER" in asked.stdout
    report = run_gateway("intake", "report", reference, "--format", "json", config=project.config)
    assert json.loads(report.stdout)["status"] == "A_CORRIGER"


def test_bad_document_option_is_a_usage_error(run_gateway, project, engine, tmp_path):
    done = run_gateway("intake", "submit", "--document", "passeport=/nowhere.pdf", config=project.config)
    assert done.returncode == 2 and "kind must be one of" in done.stderr


def test_codes_import(run_gateway, project, engine, tmp_path):
    good = tmp_path / "codes.txt"
    good.write_text("# anciens codes\n63000012;Orthopédie Dupont\n63000020;Bandagisterie Weber\n", encoding="utf-8")
    done = run_gateway("codes", "import", str(good), "--json", config=project.config)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["highest"] == "63000020"
    bad = tmp_path / "bad.txt"
    bad.write_text("63000013;Luhn faux\n63000038;Muller\n", encoding="utf-8")
    done = run_gateway("codes", "import", str(bad), config=project.config)
    assert done.returncode == 1 and "line 1" in done.stdout and "imported 1" in done.stdout

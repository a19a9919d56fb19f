"""The client commands as a practice runs them, against the gateway's own SFTP server."""

from __future__ import annotations

import json

from tests.support import run_gateway

from .conftest import DATA, SCHEMAS
from .live import CODE

NAME = f"KINE_FACT_{CODE}_20261115093000_000001.xml"
REQUEST = f"""<?xml version='1.0' encoding='UTF-8'?>
<Facturation xmlns="urn:cns:echange:kine:1" versionSchema="1.0"><Entete>
<IdFichier>3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88</IdFichier><NumeroSequence>1</NumeroSequence>
<Convention>KINE</Convention><TypeFichier>FACT</TypeFichier><CodePrestataire>{CODE}</CodePrestataire>
<DateCreation>2026-11-15T09:30:00+01:00</DateCreation><Periode debut="2026-10-01" fin="2026-10-31"/>
<Mode>PRODUCTION</Mode><Logiciel nom="other" version="1"/><NombreEnregistrements>1</NombreEnregistrements>
<MontantTotal>30.85</MontantTotal></Entete></Facturation>
"""


def test_trust_then_push_then_status(live, project, tmp_path):
    project.write_config(project.config.read_text() + f"[sftp]\nport = {live.port}\n" + live.client_config())
    request = tmp_path / NAME
    request.write_text(REQUEST)

    refused = run_gateway("client", "push", str(request), config=project.config)
    assert refused.returncode == 1
    assert "CLT-HOST-UNKNOWN" in refused.stderr and "gateway client trust" in refused.stderr

    published = run_gateway("sftp", "fingerprint", config=project.config).stdout.split()[0]
    assert published.startswith("SHA256:")
    wrong = run_gateway("client", "trust", "--fingerprint", "SHA256:not-this-one", config=project.config)
    assert wrong.returncode == 2 and not live.known_hosts.exists()
    trusted = run_gateway("client", "trust", "--fingerprint", published, config=project.config)
    assert trusted.returncode == 0, trusted.stderr
    assert published in trusted.stdout and live.known_hosts.exists()

    pushed = run_gateway("client", "push", str(request), config=project.config)
    assert pushed.returncode == 0, pushed.stderr
    assert f"{NAME}: uploaded" in pushed.stdout
    assert (live.inbox / NAME).read_text() == REQUEST

    status = run_gateway("client", "status", "--json", config=project.config)
    assert status.returncode == 0, status.stderr
    summary = json.loads(status.stdout)
    assert summary["counts"]["pending"] == 1
    [line] = summary["files"]
    assert (line["name"], line["state"], line["mode"], line["records"], line["amount"]) == (
        NAME,
        "pending",
        "PRODUCTION",
        1,
        "30.85",
    )


def test_make_request_writes_an_accepted_file_and_refuses_one_with_errors(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\nschemas = "{SCHEMAS}"\n[demo]\nenabled = false\n'
        f'[client]\nuser = "{CODE}"\nknown_hosts = "practice/known_hosts"\n'
    )
    bad = tmp_path / "bad.csv"
    bad.write_text((DATA / "kine.csv").read_text().replace("1983081246785", "1983081246786"))
    refused = run_gateway("client", "make-request", "--convention", "KINE", "--csv", str(bad), config=config)
    assert refused.returncode == 1
    assert "CLT-CHECK" in refused.stderr and "ERREUR MAT-004 CSV line 4" in refused.stderr
    assert not (tmp_path / "practice" / "outgoing").exists() or not any((tmp_path / "practice" / "outgoing").iterdir())

    made = run_gateway("client", "make-request", "--convention", "kine", "--csv", str(DATA / "kine.csv"), config=config)
    assert made.returncode == 0, made.stderr
    [path] = (tmp_path / "practice" / "outgoing").iterdir()
    assert path.name.startswith(f"KINE_FACT_{CODE}_") and path.name.endswith("_000001.xml")
    assert str(path) in made.stdout and "sequence 1, 2 record(s), total 132.90" in made.stdout

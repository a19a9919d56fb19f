"""The client commands as a practice runs them, against the gateway's own SFTP server."""

from __future__ import annotations

import json

from tests.support import run_gateway

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
    project.write_config(project.config.read_text() + f'[sftp]\nport = {live.port}\n' + live.client_config())
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
    assert (line["name"], line["state"], line["mode"], line["records"], line["amount"]) == \
        (NAME, "pending", "PRODUCTION", 1, "30.85")

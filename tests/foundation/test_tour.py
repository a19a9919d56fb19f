"""The README's quick tour, run as written: ``gateway serve`` on a fresh start prints the web
address and the demo commands; the tour's files, sent in order with the printed ``sftp``
command and the README's ``sftp>`` lines, get the responses the examples folder shows."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.foundation.test_serve import Server
from tests.support import GATEWAY, clean_env, wait_until

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "tests" / "exchange" / "examples" / "tour-kine"
NS = "{urn:cns:echange:reponse:1}"


def readme_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    tour = text[text.index("## A quick tour") : text.index("## Documentation")]
    return re.findall(r"```sh\n(.*?)```", tour, re.S)


def sftp_lines() -> list[str]:
    """The ``sftp>`` commands of the tour, in order."""
    return [
        line.removeprefix("sftp> ")
        for block in readme_blocks()
        for line in block.splitlines()
        if line.startswith("sftp> ")
    ]


def verdict(response: bytes) -> tuple[str, list[str]]:
    root = etree.fromstring(response)
    return root.findtext(f".//{NS}Statut"), sorted(e.get("code") for e in root.iter(f"{NS}Erreur"))


@pytest.fixture
def migrated(project, engine):
    return project


def test_the_readme_tour_works_as_written(migrated, tmp_path):
    commands = sftp_lines()
    assert [c.split()[0] for c in commands] == ["put", "ls", "get"]
    put, listing, get = commands
    first = "KINE_FACT_45001237_20261115093000_000001.xml"
    assert first in put and (REPO / put.split()[1]).is_file(), "the put names a file that exists"
    names = sorted(p.name for p in (TOUR / "requests").iterdir())
    assert names == [first.replace("_000001", f"_{n:06d}") for n in (1, 2, 3)]

    server = Server(migrated)
    try:
        wait_until(server.ready, timeout_s=180)
        web = next(line for line in server.stdout if line.startswith("web http://"))
        address = web.split()[1]
        assert httpx.get(address + "demande", timeout=10).status_code == 200
        demo = next(line for line in server.stdout if line.startswith("demo KINE 45001237: "))
        sftp = shlex.split(demo.split(": ", 1)[1])
        assert sftp[0] == "sftp"
        batch = [sftp[0], "-b", "-", "-o", "BatchMode=yes", *sftp[1:]]
        outbox = migrated.root / "outbox" / "45001237"
        for name in names:  # "then the same with _000002 and _000003"
            number = name[-10:-4]
            run = subprocess.run(
                batch,
                input=f"{put.replace('000001', number)}\n{listing}\n",
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
                env=clean_env(),
            )
            assert run.returncode == 0, run.stderr
            response_name = name.replace(".xml", "_REP.xml")
            wait_until(lambda n=response_name: (outbox / n).exists(), timeout_s=60)
            run = subprocess.run(
                batch,
                input=get.replace("000001", number) + "\n",
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                env=clean_env(),
            )
            assert run.returncode == 0, run.stderr
            got = (tmp_path / response_name).read_bytes()
            assert verdict(got) == verdict((TOUR / "responses" / response_name).read_bytes()), name
    finally:
        assert server.stop() == 0
    assert [verdict((TOUR / "responses" / n.replace(".xml", "_REP.xml")).read_bytes())[0] for n in names] == [
        "ACCEPTE",
        "PARTIELLEMENT_ACCEPTE",
        "REJETE",
    ]


def test_the_readme_offline_checks_run():
    lines = [
        line
        for block in readme_blocks()
        for line in block.splitlines()
        if line.startswith(".venv/bin/gateway validate")
    ]
    assert len(lines) == 2
    for line in lines:
        command = line.replace(".venv/bin/gateway", shlex.quote(GATEWAY), 1)
        run = subprocess.run(
            ["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=120, env=clean_env()
        )
        assert run.returncode in (0, 1) and "Traceback" not in run.stderr and run.stdout.strip(), run.stderr

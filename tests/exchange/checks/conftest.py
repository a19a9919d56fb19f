"""Checking files with the real Checker and reading the real response they get."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from gateway.exchange.checks.model import EmptyHistory, History, Outcome, Received
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.response import render_response
from tests.exchange import samples

REPO = Path(__file__).resolve().parents[3]
TIMEZONE = "Europe/Luxembourg"
#: recuLe of the sample files: the day after the sample period ends is well after it
RECEIVED_AT = dt.datetime(2026, 11, 15, 8, 30, 2, tzinfo=dt.UTC)
RESPONSE_SCHEMA = etree.XMLSchema(etree.parse(str(REPO / "schemas" / "response-1.0.xsd")))
R = "{urn:cns:echange:reponse:1}"


@dataclass
class Checked:
    """An outcome and its response, parsed and already validated against the response XSD."""

    outcome: Outcome
    response: bytes
    root: etree._Element

    @property
    def status(self) -> str:
        return self.root.findtext(f"{R}Statut")

    def errors(self) -> list[dict]:
        """Every Erreur of the response: code, gravite, ligne, colonne, chemin, valeur, record id."""
        found = []
        for error in self.root.iter(f"{R}Erreur"):
            parent = error.getparent()
            found.append(
                {
                    "code": error.get("code"),
                    "gravite": error.get("gravite"),
                    "ligne": int(error.get("ligne")) if error.get("ligne") else None,
                    "colonne": int(error.get("colonne")) if error.get("colonne") else None,
                    "chemin": error.get("chemin"),
                    "valeur": error.findtext(f"{R}Valeur"),
                    "record": parent.get("id") if parent.tag == f"{R}Enregistrement" else None,
                    "messages": [m.get("langue") for m in error.findall(f"{R}Message")],
                }
            )
        return found

    def codes(self) -> list[str]:
        return [e["code"] for e in self.errors()]

    def record_statuses(self) -> list[str]:
        return [e.get("statut") for e in self.root.iter(f"{R}Enregistrement")]


def validate_response(data: bytes) -> etree._Element:
    """Parses a response and fails the test unless it is valid against the response XSD."""
    root = etree.fromstring(data)
    assert RESPONSE_SCHEMA.validate(root), str(RESPONSE_SCHEMA.error_log)
    return root


@pytest.fixture(scope="session")
def checker() -> Checker:
    return Checker(REPO / "schemas", timezone=TIMEZONE, max_file_bytes=52428800)


@pytest.fixture
def check(checker: Checker, tmp_path: Path):
    """check(data, name=..., provider=..., profession=..., received_at=..., history=...) -> Checked."""

    def run(
        data: bytes,
        *,
        name: str | None = None,
        convention: str = "KINE",
        provider: str | None = None,
        profession: str | None = None,
        received_at: dt.datetime = RECEIVED_AT,
        history: History | None = None,
        use: Checker | None = None,
    ) -> Checked:
        name = name or samples.file_name(convention)
        path = tmp_path / uuid.uuid4().hex / name  # unique: tests call this from several threads
        path.parent.mkdir()
        path.write_bytes(data)
        received = Received(
            name=name,
            provider_code=provider or samples.PROVIDERS[convention],
            profession=profession or convention,
            received_at=received_at,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            path=path,
        )
        outcome = (use or checker).check(received, history or EmptyHistory())
        response = render_response(outcome, processed_at=received_at, timezone=TIMEZONE)
        return Checked(outcome, response, validate_response(response))

    return run


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    """A private copy of schemas/ a test may edit."""
    target = tmp_path / "schemas"
    shutil.copytree(REPO / "schemas", target)
    return target

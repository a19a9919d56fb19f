"""make-request: numbered, named, checked by the server's own stages, and refused when they reject it."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest
from sqlalchemy import select

from gateway.client.csvlayout import Convention
from gateway.client.errors import RequestRefused
from gateway.client.importer import import_responses
from gateway.client.make import MakeOptions, make_request
from gateway.client.pull import ResponseSchema
from gateway.client.store import LocalRequest
from gateway.exchange.checks.model import EmptyHistory, FileStatus, Mode, Received
from gateway.exchange.checks.pipeline import Checker

from .conftest import DATA, NOW, PROVIDERS, SCHEMAS, TIMEZONE

NAME = re.compile(r"^(LAB|KINE|DIET)_FACT_([0-9]{8})_([0-9]{14})_([0-9]{6})\.xml$")


def options(tmp_path, convention: str = "KINE", **changes) -> MakeOptions:
    base = MakeOptions(
        convention=Convention(convention),
        provider_code=PROVIDERS[convention],
        out_dir=tmp_path / "outgoing",
        schemas_dir=SCHEMAS,
        timezone=TIMEZONE,
        max_file_bytes=52428800,
    )
    return dataclasses.replace(base, **changes)


def server_verdict(path, convention: str):
    """What the gateway's checks say of the file, seen fresh (no history)."""
    data = path.read_bytes()
    received = Received(
        name=path.name,
        provider_code=PROVIDERS[convention],
        profession=convention,
        received_at=NOW,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
    )
    return Checker(SCHEMAS, timezone=TIMEZONE, max_file_bytes=52428800).check(received, EmptyHistory())


def csv_with(tmp_path, text: str):
    path = tmp_path / "input.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("convention", ["LAB", "KINE", "DIET"])
def test_each_example_becomes_a_file_the_gateway_accepts(tmp_path, local_db, clock, convention):
    made = make_request(DATA / f"{convention.lower()}.csv", options(tmp_path, convention), local_db, clock=clock)
    match = NAME.match(made.path.name)
    assert match and match.groups() == (convention, PROVIDERS[convention], "20261115093000", "000001")
    assert (made.sequence, made.records, made.mode) == (1, 2, Mode.PRODUCTION)
    assert sorted(p.name for p in made.path.parent.iterdir()) == [made.path.name]  # no temporary left
    outcome = server_verdict(made.path, convention)
    assert outcome.status is FileStatus.ACCEPTE, outcome
    with local_db() as session:
        row = session.scalars(select(LocalRequest)).one()
        assert (row.name, row.sequence, row.pushed_at, row.sha256) == (
            made.path.name,
            1,
            None,
            hashlib.sha256(made.path.read_bytes()).hexdigest(),
        )
        assert len(row.acts) == sum(1 for _ in (DATA / f"{convention.lower()}.csv").open()) - 1


NOVEMBER = """reference;matricule;code_medecin;date_ordonnance;seances_prescrites;date;code;quantite;montant
INV-2026-0051;1893120105732;10042117;2026-09-20;9;2026-11-03;K101;1;30,85
INV-2026-0052;1983081246785;10000172;2026-09-25;12;2026-11-10;K201;1;35,60
"""


def test_numbers_follow_and_a_test_file_uses_none(tmp_path, local_db, clock):
    first = make_request(DATA / "kine.csv", options(tmp_path), local_db, clock=clock)
    clock.advance(60)
    # TEST files are never history for DUP-002: the same acts may be tried again
    test = make_request(DATA / "kine.csv", options(tmp_path, mode=Mode.TEST), local_db, clock=clock)
    assert (first.sequence, test.sequence, test.mode) == (1, 2, Mode.TEST)
    clock.advance(60)
    second = make_request(csv_with(tmp_path, NOVEMBER), options(tmp_path), local_db, clock=clock)
    assert second.sequence == 2 and second.path.name.endswith("_000002.xml")
    assert second.period[0].isoformat() == "2026-11-01" and second.period[1].isoformat() == "2026-11-15"


def test_a_file_the_checks_reject_is_not_written_and_uses_no_number(tmp_path, local_db, clock):
    bad = (DATA / "kine.csv").read_text().replace("1983081246785", "1983081246786")  # wrong Verhoeff digit
    with pytest.raises(RequestRefused) as caught:
        make_request(csv_with(tmp_path, bad), options(tmp_path), local_db, clock=clock)
    codes = {(f.finding.code, f.csv_line) for f in caught.value.findings}
    assert ("MAT-004", 4) in codes  # the first line of the record at fault
    assert not any((tmp_path / "outgoing").iterdir())
    with local_db() as session:
        assert session.scalars(select(LocalRequest)).all() == []
    made = make_request(DATA / "kine.csv", options(tmp_path), local_db, clock=clock)
    assert made.sequence == 1


def test_acts_billed_in_a_standing_file_are_caught_before_sending(tmp_path, local_db, clock):
    first = make_request(DATA / "kine.csv", options(tmp_path), local_db, clock=clock)
    clock.advance(60)
    with pytest.raises(RequestRefused) as caught:
        make_request(DATA / "kine.csv", options(tmp_path), local_db, clock=clock)
    assert {f.finding.code for f in caught.value.findings} >= {"DUP-002"}
    # once the gateway has answered REJETE, the file counts for nothing: same acts, same number
    responses = tmp_path / "responses"
    responses.mkdir()
    digest = hashlib.sha256(first.path.read_bytes()).hexdigest()
    (responses / "r_REP.xml").write_bytes(REJECTED_RESPONSE.format(name=first.path.name, sha=digest).encode())
    import_responses(responses, local_db, ResponseSchema(SCHEMAS))
    again = make_request(DATA / "kine.csv", options(tmp_path), local_db, clock=clock)
    assert again.sequence == 1 and again.path.name != first.path.name


def test_warnings_are_returned_and_the_file_written(tmp_path, local_db, clock):
    late = (DATA / "kine.csv").read_text().replace("2026-09-20", "2026-07-20")  # > 60 days after prescription
    made = make_request(csv_with(tmp_path, late), options(tmp_path), local_db, clock=clock)
    assert made.path.exists()
    assert [(w.finding.code, w.csv_line) for w in made.warnings] == [("DAT-004", 2)]


REJECTED_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<Reponse xmlns="urn:cns:echange:reponse:1" versionSchema="1.0">
  <Demande nomFichier="{name}" sha256="{sha}" taille="10" recuLe="2026-11-15T09:30:02+01:00"/>
  <Traitement traiteLe="2026-11-15T09:30:03+01:00" mode="PRODUCTION"/>
  <Statut>REJETE</Statut>
  <ErreursFichier>
    <Erreur code="ENT-008" gravite="FATAL" chemin="/Facturation/Entete/DateCreation">
      <Message langue="fr">Date de création dans le futur.</Message>
      <Message langue="en">Creation date in the future.</Message>
    </Erreur>
  </ErreursFichier>
</Reponse>
"""

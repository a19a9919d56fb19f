"""Fixtures of the runtime tests: a migrated project with exchange providers and a processor."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.mirror import AccountMirror
from gateway.accounts.service import Accounts
from gateway.clock import utcnow
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.runtime.claims import claim_next
from gateway.exchange.runtime.history import load_act_key
from gateway.exchange.runtime.processing import Processor
from gateway.exchange.runtime.reception import register_received
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.exchange.runtime.worker import WorkerService
from gateway.identifiers import make_provider_code
from gateway.store.db import transaction
from gateway.store.models.exchange import FileState, RequestFile
from tests.exchange import samples
from tests.exchange.runtime.broker import rabbitmq  # noqa: F401 - the real broker's fixture, for every runtime test

TIMEZONE = "Europe/Luxembourg"
MAX_BYTES = 1_000_000
#: one provider per convention (the samples' own) and more physiotherapists for parallel tests
PROVIDERS = {
    samples.PROVIDERS["KINE"]: "KINE",
    samples.PROVIDERS["LAB"]: "LAB",
    samples.PROVIDERS["DIET"]: "DIET",
    **{make_provider_code("45", 2000 + n): "KINE" for n in range(6)},
}
KINE = samples.PROVIDERS["KINE"]
LAB = samples.PROVIDERS["LAB"]
DIET = samples.PROVIDERS["DIET"]
EXTRA_KINE = [code for code, p in PROVIDERS.items() if p == "KINE" and code != KINE]


def request(
    convention: str = "KINE",
    *,
    sequence: int = 1,
    provider: str | None = None,
    mode: str = "PRODUCTION",
    id_fichier: str | None = None,
    records: int = 1,
    first_record: int = 1,
    stamp: str = "20261115093000",
) -> tuple[str, bytes]:
    """A valid request file's name and bytes (distinct IdFichier per provider and sequence)."""
    code = provider or samples.PROVIDERS[convention]
    header = samples.Header(
        convention=convention,
        provider=code,
        sequence=sequence,
        mode=mode,
        id_fichier=id_fichier or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{code}/{sequence}/{first_record}/{mode}")),
    )
    body = [samples.default_record(convention, i) for i in range(first_record, first_record + records)]
    return samples.file_name(convention, code, sequence, stamp), samples.build_request(header, body)


@dataclass
class Runtime:
    """A gateway installation with exchange providers, ready to receive and process files."""

    root: Path
    sessions: sessionmaker[Session]
    spool: SpoolPaths
    act_key: bytes
    checker: object
    services: list = field(default_factory=list)

    def processor(self, **kw) -> Processor:
        return Processor(self.sessions, self.checker, spool=self.spool, timezone=TIMEZONE, act_key=self.act_key, **kw)

    def deposit(self, code: str, name: str, data: bytes, *, received_at: dt.datetime | None = None) -> int:
        """Places a file in the inbox and registers it, as the SFTP server does on close."""
        path = self.spool.inbox_file(code, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with transaction(self.sessions) as session:
            row = register_received(
                session,
                provider_code=code,
                name=name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                received_at=received_at or utcnow(),
                source="sftp",
            )
            session.flush()
            return row.id

    def workers(self, count: int = 2, **kw) -> WorkerService:
        """A started worker service (stopped at the end of the test)."""
        options = {
            "workers": count,
            "poll_interval": 0.05,
            "lease_s": 30.0,
            "rescan_interval": 60.0,
            "quiet_period": 0.3,
            "watch_inbox": False,
        }
        options.update({k: kw.pop(k) for k in list(kw) if k in options})
        service = WorkerService(self.sessions, self.processor(**kw), self.spool, **options)
        service.start()
        self.services.append(service)
        return service

    def rows(self) -> list[RequestFile]:
        with self.sessions() as session:
            return list(session.scalars(select(RequestFile).order_by(RequestFile.id)))

    def all_answered(self) -> bool:
        return all(row.state == FileState.ANSWERED for row in self.rows())

    def response(self, code: str, name: str) -> bytes:
        from gateway.exchange.runtime.reception import response_name_for

        return self.spool.outbox_file(code, response_name_for(name)).read_bytes()


def make_runtime(root: Path, sessions: sessionmaker[Session]) -> Runtime:
    """Providers, spool folders (laid out as the default settings do) and checks under ``root``."""
    accounts = Accounts(sessions, AccountMirror(root / "providers" / "accounts", root / "inbox", root / "outbox"))
    for code, profession in PROVIDERS.items():
        accounts.add(code, profession=profession, name=f"Provider {code}")
    spool = SpoolPaths(
        inbox=root / "inbox", outbox=root / "outbox", archive=root / "var" / "archive", aside=root / "var" / "aside"
    )
    checker = Checker(root / "schemas", timezone=TIMEZONE, max_file_bytes=MAX_BYTES)
    return Runtime(root=root, sessions=sessions, spool=spool, act_key=load_act_key(root / "var"), checker=checker)


@pytest.fixture
def runtime(project, engine, sessions) -> Iterator[Runtime]:
    """The project's installation (its config.toml points at the same folders and database)."""
    rt = make_runtime(project.root, sessions)
    yield rt
    for service in rt.services:
        service.stop()


def claim(rt: Runtime, claimant: str = "test:1:t:0", now: dt.datetime | None = None):
    """Claims the next file as a worker named ``claimant`` would."""
    return claim_next(rt.sessions, claimant, now=now or utcnow(), lease_s=30, archive_ref=SpoolPaths.archive_ref)


def process_all(rt: Runtime) -> list:
    """Claims and processes files until none is left; returns what became of each."""
    processor = rt.processor()
    done = []
    while (claimed := claim(rt)) is not None:
        done.append(processor.process(claimed))
    return done


def listing(folder: Path) -> list[str]:
    """Names in ``folder`` (none when it does not exist), sorted."""
    return sorted(os.listdir(folder)) if folder.is_dir() else []

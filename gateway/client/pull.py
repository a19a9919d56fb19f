"""``pull``: download responses, check them, and only then remove them from the server.

For each ``*_REP.xml`` in ``/outbox``: the bytes go into a temporary file in the target folder,
are fsynced, checked against the response schema, linked onto their final name (never
replacing a file) and the folder is fsynced; only then is the response deleted on the server
(which frees the request's name there). A pull cut off at any point is finished by the next:
a response already saved with the same bytes is simply deleted on the server.

A response that is not valid against the schema is kept aside in ``<into>/invalid/`` and left
on the server, so that nothing is lost and the fund can be told. Two different responses with
the same name (a name used again after its response was collected) are both kept: the second
as ``<stem>.<sha256 prefix>.xml``.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lxml import etree

from gateway.client.connection import Connection, Retrying
from gateway.client.errors import ClientError, NetworkError, ResponseInvalid
from gateway.client.ledger import safe_parser
from gateway.exchange.checks.response import RESPONSE_SUFFIX
from gateway.logs import get_logger
from gateway.store.files import TEMP_PREFIX, fsync_dir

log = get_logger(__name__)

OUTBOX = "/outbox"
RESPONSE_SCHEMA = "response-1.0.xsd"
INVALID_FOLDER = "invalid"


class PullResult(StrEnum):
    """How one response was handled."""

    SAVED = "saved"
    #: saved by an earlier pull that did not get to delete it on the server
    ALREADY_SAVED = "already saved"
    #: not valid against the response schema: kept aside, left on the server
    INVALID = "invalid"


@dataclass(frozen=True)
class Pulled:
    """One response downloaded."""

    name: str
    path: Path
    size: int
    sha256: str
    result: PullResult
    problems: tuple[str, ...] = ()


class ResponseSchema:
    """The response XSD the gateway ships (``schemas/response-1.0.xsd``)."""

    def __init__(self, schemas_dir: Path) -> None:
        path = schemas_dir / RESPONSE_SCHEMA
        try:
            self._schema = etree.XMLSchema(etree.parse(str(path), safe_parser()))
        except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise ClientError(
                f"cannot load the response schema {path}: {exc}", code="CLT-SCHEMA", path=str(path)
            ) from None

    def problems(self, path: Path) -> list[str]:
        """Every reason the file at ``path`` is not a valid response (empty when it is)."""
        try:
            document = etree.parse(str(path), safe_parser())
        except etree.XMLSyntaxError as exc:
            return [f"not well-formed XML: {exc}"]
        if self._schema.validate(document):
            return []
        return [f"line {e.line}: {e.message}" for e in self._schema.error_log]

    def check(self, path: Path) -> None:
        """Raises :class:`ResponseInvalid` when the file at ``path`` is not a valid response."""
        problems = self.problems(path)
        if problems:
            raise ResponseInvalid(f"{path.name} is not a valid response: {problems[0]}", problems=problems)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _place(temp: Path, target: Path, digest: str) -> tuple[Path, bool]:
    """Links ``temp`` onto ``target`` (or a name beside it); True when the bytes were there already."""
    candidates = (target, target.with_name(f"{target.name[:-4]}.{digest[:12]}.xml"))
    for candidate in candidates:
        try:
            os.link(temp, candidate)
            return candidate, False
        except FileExistsError:
            if _sha256(candidate) == digest:
                return candidate, True
    raise ClientError(f"{target} and {candidates[1].name} exist with other contents", code="CLT-EXISTS")


class Puller:
    """Pulls every response waiting in ``/outbox`` into ``into``."""

    def __init__(
        self,
        into: Path,
        schema: ResponseSchema,
        *,
        outbox: str = OUTBOX,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.into = into
        self.schema = schema
        self.outbox = outbox
        self._progress = progress

    def run(self, connection: Connection) -> list[Pulled]:
        """One pass over ``/outbox``; safe to run again after any failure."""
        self.into.mkdir(parents=True, exist_ok=True)
        names = sorted(
            entry.filename
            for entry in connection.sftp.listdir_attr(self.outbox)
            if entry.filename.endswith(RESPONSE_SUFFIX) and not entry.filename.startswith(".")
        )
        return [self._one(connection, name) for name in names]

    def _one(self, connection: Connection, name: str) -> Pulled:
        remote = posixpath.join(self.outbox, name)
        temp = self.into / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{name}"
        try:
            with open(temp, "xb") as handle:
                connection.sftp.getfo(remote, handle, callback=self._callback(name))
                handle.flush()
                os.fsync(handle.fileno())
            size, digest = temp.stat().st_size, _sha256(temp)
            problems = self.schema.problems(temp)
            if problems:
                aside = self.into / INVALID_FOLDER
                aside.mkdir(exist_ok=True)
                path, _ = _place(temp, aside / name, digest)
                fsync_dir(aside)
                log.error("response not valid against the schema; left on the server", name=name, problem=problems[0])
                return Pulled(name, path, size, digest, PullResult.INVALID, tuple(problems))
            path, had = _place(temp, self.into / name, digest)
            fsync_dir(self.into)
        finally:
            temp.unlink(missing_ok=True)
        # Only now that the local copy is durable may the server's copy go.
        connection.sftp.remove(remote)
        return Pulled(name, path, size, digest, PullResult.ALREADY_SAVED if had else PullResult.SAVED)

    def _callback(self, name: str) -> Callable[[int, int], None] | None:
        progress = self._progress
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)


def watch(
    puller: Puller,
    retrying: Retrying,
    *,
    interval: float,
    stop: threading.Event,
    on_pulled: Callable[[list[Pulled]], None],
) -> None:
    """Pulls every ``interval`` seconds until ``stop`` is set; network failures only wait a round."""
    while not stop.is_set():
        try:
            pulled = retrying.run(puller.run)
        except NetworkError as exc:
            log.warning("pull failed, will try again", error=exc.message, in_seconds=interval)
        else:
            if pulled:
                on_pulled(pulled)
        stop.wait(interval)

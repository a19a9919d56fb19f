"""What the local database records about pushes: the moment each file was handed over.

A file made by ``make-request`` already has its row; a file made by other software gets one
from its name and header when it is pushed, so that ``status`` can follow it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.client.store import LocalRequest
from gateway.exchange.conventions import REQUEST_NAME
from gateway.store.db import transaction

_N = TypeVar("_N", int, Decimal)


def safe_parser() -> etree.XMLParser:
    """An lxml parser that resolves no entity, loads no DTD and never touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _header(data: bytes) -> dict[str, str]:
    """The ``Entete`` of a request file as local name -> text; empty when unreadable."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError:
        return {}
    header = next((child for child in root if etree.QName(child).localname == "Entete"), None)
    if header is None:
        return {}
    return {etree.QName(child).localname: (child.text or "").strip() for child in header}


def _row_from_file(path: Path, data: bytes, at: dt.datetime) -> LocalRequest:
    header = _header(data)
    match = REQUEST_NAME.match(path.name)

    def number(text: str | None, kind: Callable[[str], _N]) -> _N | None:
        try:
            return kind(text) if text else None
        except (ValueError, InvalidOperation):
            return None

    return LocalRequest(
        name=path.name,
        provider_code=header.get("CodePrestataire") or (match.group(2) if match else ""),
        convention=header.get("Convention") or (match.group(1) if match else None),
        mode=header.get("Mode") or None,
        sequence=number(header.get("NumeroSequence"), int),
        id_fichier=header.get("IdFichier") or None,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        record_count=number(header.get("NombreEnregistrements"), int),
        amount=number(header.get("MontantTotal"), Decimal),
        path=str(path.resolve()),
        made_at=at,
    )


def record_pushed(sessions: sessionmaker[Session], path: Path, at: dt.datetime) -> None:
    """Notes that ``path`` is on the server (first push time kept)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with transaction(sessions) as session:
        row = session.scalars(select(LocalRequest).where(LocalRequest.name == path.name)).first()
        if row is None:
            row = _row_from_file(path, data, at)
            session.add(row)
        elif row.sha256 != digest:
            # Same name, other bytes (a file remade by other software): this push is what counts.
            fresh = _row_from_file(path, data, at)
            for column in (
                "provider_code",
                "convention",
                "mode",
                "sequence",
                "id_fichier",
                "sha256",
                "size",
                "record_count",
                "amount",
                "path",
            ):
                setattr(row, column, getattr(fresh, column))
            row.acts.clear()
            row.pushed_at = None
        if row.pushed_at is None:
            row.pushed_at = at


def unpushed_files(sessions: sessionmaker[Session]) -> list[Path]:
    """Files made and not pushed yet, oldest first (the order the server must see them in)."""
    with sessions() as session:
        rows = session.scalars(
            select(LocalRequest)
            .where(LocalRequest.pushed_at.is_(None), LocalRequest.path.is_not(None))
            .order_by(LocalRequest.made_at, LocalRequest.id)
        ).all()
        # the query keeps only rows with a path
        return [Path(row.path) for row in rows if row.path is not None]

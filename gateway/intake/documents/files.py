"""Checking a file on disk or an upload stream without reading more than the limit."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from gateway.intake.documents.limits import DEFAULT_LIMITS, PdfLimits
from gateway.intake.documents.malware import Scanner
from gateway.intake.documents.model import DocumentVerdict
from gateway.intake.documents.verdict import run_checks
from gateway.isolation import Isolation

_READ_CHUNK = 1024 * 1024


def read_limited(stream: BinaryIO, max_bytes: int) -> tuple[bytes, bool]:
    """Reads at most ``max_bytes + 1`` bytes; returns (bytes, True when the stream was longer)."""
    chunks: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(_READ_CHUNK, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    return data, len(data) > max_bytes


def check_stream(
    stream: BinaryIO,
    name: str,
    *,
    max_bytes: int,
    scanner: Scanner | None = None,
    limits: PdfLimits = DEFAULT_LIMITS,
    size: int | None = None,
    isolation: Isolation | None = None,
) -> tuple[DocumentVerdict, bytes]:
    """Checks an upload stream; returns the verdict and the bytes read (empty when over the limit).

    ``size``, when known (a file's size), is reported for files over the limit; otherwise
    the size reported is ``max_bytes + 1`` ("more than the limit"). ``sha256`` is None then.
    """
    data, over = read_limited(stream, max_bytes)
    if over:
        verdict = run_checks(
            b"",
            name,
            size=size if size is not None else len(data),
            max_bytes=max_bytes,
            scanner=None,
            limits=limits,
            sha256=None,
            isolation=isolation,
        )
        return verdict, b""
    verdict = run_checks(
        data,
        name,
        size=len(data),
        max_bytes=max_bytes,
        scanner=scanner,
        limits=limits,
        sha256=hashlib.sha256(data).hexdigest(),
        isolation=isolation,
    )
    return verdict, data


def check_file(
    path: Path,
    *,
    name: str | None = None,
    max_bytes: int,
    scanner: Scanner | None = None,
    limits: PdfLimits = DEFAULT_LIMITS,
    isolation: Isolation | None = None,
) -> DocumentVerdict:
    """Checks the file at ``path`` (the path's own name unless ``name`` is given)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        verdict, _ = check_stream(
            handle,
            path.name if name is None else name,
            max_bytes=max_bytes,
            scanner=scanner,
            limits=limits,
            size=size,
            isolation=isolation,
        )
    return verdict

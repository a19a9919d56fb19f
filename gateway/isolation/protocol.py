"""Frames between the gateway and a worker process: a JSON header and a byte payload.

One frame is ``>II`` (header length, payload length), the UTF-8 JSON header, the payload.
The gateway only ever reads JSON and raw bytes from a worker, never pickles: a worker that a
hostile file took over must not be able to run code in the gateway through its answers.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

PREFIX = struct.Struct(">II")
#: largest JSON header either side accepts
MAX_HEADER_BYTES = 1 << 20


class FrameTimeout(Exception):
    """The other side did not answer before the deadline."""


class FrameClosed(Exception):
    """The other side closed its end (a worker that died)."""


class FrameInvalid(Exception):
    """A frame that breaks the protocol (too large, not JSON)."""


def encode(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """One frame."""
    text = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(text), len(payload)) + text + payload


def decode_header(text: bytes) -> dict[str, Any]:
    """The JSON header of a frame; raises FrameInvalid."""
    try:
        header = json.loads(text)
    except ValueError as exc:
        raise FrameInvalid(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise FrameInvalid("header is not an object")
    return header


def _wait(fd: int, for_write: bool, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FrameTimeout()
    poller = select.poll()
    poller.register(fd, select.POLLOUT if for_write else select.POLLIN)
    if not poller.poll(remaining * 1000):
        raise FrameTimeout()


def write_all(fd: int, data: bytes, deadline: float) -> None:
    """Writes ``data`` to a non-blocking ``fd`` before ``deadline``."""
    view = memoryview(data)
    while view:
        _wait(fd, True, deadline)
        try:
            written = os.write(fd, view[: 1 << 20])
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise FrameClosed() from None
        view = view[written:]


def read_exact(fd: int, size: int, deadline: float) -> bytes:
    """Reads exactly ``size`` bytes from a non-blocking ``fd`` before ``deadline``."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        _wait(fd, False, deadline)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise FrameClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float, max_payload: int) -> tuple[dict[str, Any], bytes]:
    """One frame from a non-blocking ``fd``; refuses headers and payloads over the bounds."""
    header_size, payload_size = PREFIX.unpack(read_exact(fd, PREFIX.size, deadline))
    if header_size > MAX_HEADER_BYTES or payload_size > max_payload:
        raise FrameInvalid(f"frame of {header_size} + {payload_size} bytes")
    header = decode_header(read_exact(fd, header_size, deadline))
    return header, read_exact(fd, payload_size, deadline)


def read_frame_blocking(stream: Any) -> tuple[dict[str, Any], bytes] | None:
    """One frame from a blocking binary stream (the worker's side); None at end of input."""
    prefix = stream.read(PREFIX.size)
    if len(prefix) < PREFIX.size:
        return None
    header_size, payload_size = PREFIX.unpack(prefix)
    if header_size > MAX_HEADER_BYTES:
        raise FrameInvalid(f"header of {header_size} bytes")
    header = decode_header(stream.read(header_size))
    payload = stream.read(payload_size)
    if len(payload) < payload_size:
        return None
    return header, payload

"""Tasks the isolation tests run in worker processes (imported there by name)."""

from __future__ import annotations

import os
import time

from gateway.isolation import Output


def echo(data: bytes, **params: object) -> Output:
    """Returns the input, the parameters and the worker's process id."""
    return Output({"params": params, "pid": os.getpid()}, data)


def allocate(data: bytes, *, mib: int) -> Output:
    """Holds ``mib`` MiB (touched, so it is resident)."""
    block = bytearray(mib * 1024 * 1024)
    block[::4096] = b"\x01" * len(block[::4096])
    return Output(len(block))


def spin(data: bytes) -> Output:
    """Uses CPU until stopped."""
    n = 0
    while True:
        n += 1


def sleep(data: bytes, *, seconds: float) -> Output:
    """Waits without using CPU."""
    time.sleep(seconds)
    return Output(seconds)


def write_file(data: bytes, *, path: str) -> Output:
    """Tries to write a file (a worker may not)."""
    with open(path, "wb", buffering=0) as handle:
        handle.write(b"x" * 100)
    return Output("written")


def fail(data: bytes) -> Output:
    """Raises an unexpected exception."""
    raise ValueError("something unexpected")


def size(data: bytes) -> Output:
    """The size of the input (a round trip that sends a file and little back)."""
    return Output(len(data))

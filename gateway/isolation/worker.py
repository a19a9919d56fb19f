"""The worker process: ``python -m gateway.isolation.worker LIMITS_JSON``.

Started by :class:`gateway.isolation.pool.Isolation`, never by hand. It imports the modules
its tasks need, sets its own limits before it reads any input, says it is ready, then runs
one task per frame read on its standard input and answers on its standard output, until the
input closes. Limits:

- RLIMIT_AS: the whole address space (interpreter and libraries included); Python code
  gets MemoryError, C code that cannot allocate usually aborts the process;
- RLIMIT_CPU: before each call the soft limit is set to the CPU time used so far plus what
  the call may spend, so a call that spins gets SIGXCPU (the hard limit stays open so that
  the next call can be given its own budget);
- an alarm one second after the call's wall time: the gateway kills a late worker itself,
  but a worker whose gateway died must not run on;
- RLIMIT_CORE 0 (a killed worker writes no core), RLIMIT_FSIZE 0 (no file can be written;
  SIGXFSZ is ignored so that a write fails instead).

An idle worker ends when its input closes (the gateway closed it, or died). PR_SET_PDEATHSIG
is not used: it fires when the *thread* that started the worker ends, and the gateway starts
workers from whichever request thread needs one.

A task is ``module:function``; it is called as ``function(data, **params)`` and returns an
:class:`~gateway.isolation.Output`. Preloaded entries are modules, or ``module:function``
warm-ups called once with no argument before the worker says it is ready.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from gateway.isolation.protocol import encode, read_frame_blocking

_tasks: dict[str, Callable[..., Any]] = {}


def _static_limits(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _budget(cpu_seconds: float, wall_seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + cpu_seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    signal.alarm(int(wall_seconds) + 2 if wall_seconds > 0 else 0)  # SIGALRM ends the process


def resident_bytes() -> int:
    """Resident size of this process now."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _task(name: str) -> Callable[..., Any]:
    if name not in _tasks:
        module, _, function = name.partition(":")
        _tasks[name] = getattr(importlib.import_module(module), function)
    return _tasks[name]


def _run(header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
    from gateway.isolation import Output

    _budget(float(header["cpu_seconds"]), float(header.get("wall_seconds", 0)))
    try:
        result = _task(header["task"])(data, **header.get("params", {}))
    except MemoryError:
        return {"ok": False, "limit": "memory"}, b""
    except RecursionError:
        return {"ok": False, "limit": "recursion"}, b""
    except Exception as exc:  # noqa: BLE001 - reported to the gateway, which decides
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500] + at}, b""
    if not isinstance(result, Output):
        return {"ok": False, "error": f"task returned {type(result).__name__}, not Output"}, b""
    return {"ok": True, "value": result.value, "rss": resident_bytes()}, result.payload


def _send(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str]) -> None:
    """Serves frames until the input closes."""
    settings = json.loads(argv[1])
    # Stray output of a library must not corrupt the frames: the protocol gets its own
    # descriptors, and 0/1 point to /dev/null.
    channel_in = os.fdopen(os.dup(0), "rb", buffering=1 << 16)
    channel_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    for entry in settings.get("preload", []):
        # "module" is imported; "module:function" is called too (a warm-up: lazy library setup).
        if ":" not in entry:
            importlib.import_module(entry)
            continue
        try:
            _task(entry)()
        except Exception:  # noqa: BLE001 - a warm-up only saves time; the first call will tell
            pass
    _static_limits(int(settings["memory_bytes"]))
    _send(channel_out, encode({"ready": True, "pid": os.getpid()}))
    while True:
        frame = read_frame_blocking(channel_in)
        if frame is None:
            return
        header, data = frame
        answer, payload = _run(header, data)
        signal.alarm(0)
        del data
        _send(channel_out, encode(answer, payload))
        if not answer["ok"] and "limit" in answer:
            return  # the heap may be in a bad state: the gateway starts a fresh worker


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    main(sys.argv)

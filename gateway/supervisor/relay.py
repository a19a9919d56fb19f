"""One log stream out of many processes: children's lines copied whole, one write per line.

Each child writes its log to a pipe of its own; the supervisor, the only writer of its
standard error, copies every complete line there in one ``write`` call, so lines of
different children never interleave, whatever their length (a pipe only keeps writes of
up to 4 KiB whole when several processes share it). JSON lines get the child's name as a
``process`` field; other lines (a traceback printed by the interpreter) a ``[name]`` prefix.
"""

from __future__ import annotations

import json
import os

#: a line longer than this is cut and written in pieces (the log of a runaway child must not
#: make the supervisor's memory grow without bound)
MAX_LINE = 1 << 20


def write_all(fd: int, data: bytes) -> None:
    """Writes all of ``data`` to ``fd``; drops it if the reader is gone."""
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BrokenPipeError:
        pass


class LineRelay:
    """Copies whole lines from several sources to ``out_fd``, tagged with the source's name."""

    def __init__(self, out_fd: int = 2, max_line: int = MAX_LINE) -> None:
        self.out_fd = out_fd
        self.max_line = max_line
        self._partial: dict[object, bytes] = {}

    def feed(self, source: object, name: str, data: bytes) -> None:
        """Adds bytes read from ``source``; writes every line they complete."""
        buffer = self._partial.pop(source, b"") + data
        *lines, rest = buffer.split(b"\n")
        for line in lines:
            self._emit(name, line)
        while len(rest) > self.max_line:
            self._emit(name, rest[: self.max_line])
            rest = rest[self.max_line :]
        if rest:
            self._partial[source] = rest

    def close(self, source: object, name: str) -> None:
        """The source ended: writes its unfinished last line, if any."""
        rest = self._partial.pop(source, b"")
        if rest:
            self._emit(name, rest)

    def _emit(self, name: str, line: bytes) -> None:
        write_all(self.out_fd, tag(name, line) + b"\n")


def tag(name: str, line: bytes) -> bytes:
    """``line`` marked with the name of the process that wrote it."""
    if line.startswith(b"{") and line.rstrip().endswith(b"}") and len(line.strip()) > 2:
        return b'{"process": ' + json.dumps(name).encode() + b", " + line[1:]
    return f"[{name}] ".encode() + line

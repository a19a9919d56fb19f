"""A TCP relay on 127.0.0.1 that can cut a connection after so many bytes: a network that breaks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence


class CuttingProxy:
    """Relays to ``target``; the n-th connection is cut once ``cuts[n]`` bytes went through.

    The bytes counted are the client's (an upload) or, with ``downstream``, the server's (a
    download). Connections beyond ``cuts`` (or with a cut of None) are relayed whole.
    """

    def __init__(self, target: tuple[str, int], cuts: Sequence[int | None] = (), *, downstream: bool = False) -> None:
        self.target = target
        self.cuts = list(cuts)
        self.downstream = downstream
        self.connections = 0
        self.cut = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                index = self.connections
                self.connections += 1
            limit = self.cuts[index] if index < len(self.cuts) else None
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self._open += [client, server]
            pair = (client, server)
            up, down = (None, limit) if self.downstream else (limit, None)
            threading.Thread(target=self._pump, args=(client, server, up, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, down, pair), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None, pair) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: max(0, limit - sent)])
                    with self._lock:
                        self.cut += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in pair:  # either side ending ends the relay, as a broken link would
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._listener.close()
        for sock in self._open:
            try:
                sock.close()
            except OSError:
                pass

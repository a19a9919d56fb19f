"""The real RabbitMQ of the development and CI machines, for the publisher tests.

:func:`rabbitmq` skips a test when no broker answers on 127.0.0.1:5672 (and fails it under
CI, like a missing tool). :class:`Names` gives each test its own exchange and queue and
deletes them afterwards; :func:`drain` reads what arrived. :class:`Link` is a TCP relay
between the publisher and the broker that the test cuts and restores.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pika
import pika.exceptions
import pytest

from gateway.exchange.runtime.forwarding.broker import Topology
from tests.support import missing_tool

HOST, PORT = "127.0.0.1", 5672
URL = f"amqp://guest:guest@{HOST}:{PORT}/%2F"


@dataclass(frozen=True)
class Received:
    """One message as a consumer gets it."""

    message_id: str
    type: str
    routing_key: str
    delivery_mode: int
    headers: dict
    body: dict


@dataclass(frozen=True)
class Names:
    """This test's exchange and queue on the broker."""

    exchange: str
    queue: str

    @property
    def topology(self) -> Topology:
        return Topology(self.exchange, self.queue, "#")

    def env(self, url: str = URL) -> dict[str, str]:
        """The settings of ``gateway serve --role publisher`` for these names."""
        return {
            "GATEWAY_FORWARDING__AMQP_URL": url,
            "GATEWAY_FORWARDING__EXCHANGE": self.exchange,
            "GATEWAY_FORWARDING__QUEUE": self.queue,
        }


def _connect(url: str = URL) -> pika.BlockingConnection:
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 5
    parameters.connection_attempts = 1
    return pika.BlockingConnection(parameters)


@pytest.fixture
def rabbitmq() -> Iterator[Names]:
    """A unique exchange and queue name on the local RabbitMQ, deleted after the test."""
    try:
        _connect().close()
    except (pika.exceptions.AMQPError, OSError) as exc:
        missing_tool(f"RabbitMQ does not answer on {HOST}:{PORT} with guest/guest ({type(exc).__name__})")
    token = secrets.token_hex(4)
    names = Names(f"gwtest.{token}", f"gwtest.{token}")
    yield names
    connection = _connect()
    channel = connection.channel()
    channel.queue_delete(names.queue)
    channel.exchange_delete(names.exchange)
    connection.close()


def drain(names: Names) -> list[Received]:
    """Every message waiting in the test's queue, in queue order (they are acknowledged)."""
    connection = _connect()
    channel = connection.channel()
    found = []
    while True:
        method, properties, body = channel.basic_get(names.queue, auto_ack=True)
        if method is None:
            break
        found.append(
            Received(
                properties.message_id,
                properties.type,
                method.routing_key,
                properties.delivery_mode,
                dict(properties.headers or {}),
                json.loads(body),
            )
        )
    connection.close()
    return found


def queue_depth(names: Names) -> int:
    """Messages ready in the test's queue (0 when it does not exist yet)."""
    connection = _connect()
    try:
        return connection.channel().queue_declare(names.queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0
    finally:
        if connection.is_open:
            connection.close()


class Link:
    """A TCP relay on 127.0.0.1 to the broker that the test can cut (every connection dropped,
    new ones refused at once) and restore, as a network or a broker restart would."""

    def __init__(self, target: tuple[str, int] = (HOST, PORT)) -> None:
        self.target = target
        self.up = threading.Event()
        self.up.set()
        self.connections = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        """Drops every open connection and refuses new ones until :meth:`restore`."""
        self.up.clear()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()

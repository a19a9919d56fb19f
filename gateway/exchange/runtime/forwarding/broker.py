"""The message broker behind one small interface: AMQP 0-9-1 (RabbitMQ) through pika.

pika's ``BlockingConnection`` with ``confirm_delivery``: each ``basic_publish`` returns only
once the broker has confirmed the message (persistent, on a durable exchange routed to a
durable queue), raises when it refused (nack) or could not route it (``mandatory``), and a
broken connection surfaces as an exception in the caller's thread. One publisher thread, one
message in flight: the simplest code that cannot mark a message sent before its confirm; the
throughput (hundreds to thousands of messages a second on a local broker) is far above what
the fund's providers deposit. Every failure becomes :class:`BrokerUnavailable`.

Topology, declared at every connection (idempotent; a mismatch with an existing declaration
is reported as an error): a durable ``topic`` exchange; when a queue name is set, a durable
queue bound to it with the binding key. Routing keys are ``<type>.<convention>.<provider>``
(``record.KINE.45001237``, ``withdrawal.LAB.31000425``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from gateway.config import ForwardingSettings, declared
from gateway.exchange.errors import ExchangeError

# pika logs every failed connection attempt at ERROR; the publisher logs one warning per
# failure with the same text and its retry delay, so pika's own lines would only repeat it.
logging.getLogger("pika").setLevel(logging.CRITICAL)


class BrokerUnavailable(ExchangeError):
    """The broker cannot be reached, refused a message, or could not route it (retried later)."""

    code = "FWD-BROKER-UNAVAILABLE"


@dataclass(frozen=True)
class Message:
    """One message as published: body, ids and routing."""

    message_id: str
    #: ``forwarded-record`` or ``forwarded-withdrawal``
    type: str
    routing_key: str
    body: bytes
    headers: dict[str, str | int | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Topology:
    """Names the gateway declares on the broker (settings ``forwarding.*``)."""

    exchange: str
    queue: str = ""
    binding_key: str = "#"


class Broker(Protocol):
    """Where the publisher sends messages; every method raises :class:`BrokerUnavailable`."""

    def publish(self, message: Message) -> None:
        """Returns once the broker has confirmed ``message`` (connecting first if needed)."""

    def idle(self, seconds: float) -> None:
        """Waits ``seconds`` keeping the connection alive (connecting first if needed)."""

    def close(self) -> None:
        """Closes the connection (never raises)."""


def redacted(url: str) -> str:
    """``url`` without its password, for logs and /status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class AmqpBroker:
    """A :class:`Broker` on one AMQP connection and one confirmed channel, opened lazily."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        connect_timeout: float = declared(ForwardingSettings, "connect_timeout"),
        heartbeat: int = declared(ForwardingSettings, "heartbeat"),
        blocked_timeout: float = declared(ForwardingSettings, "blocked_timeout"),
    ) -> None:
        self._url = url
        self._topology = topology
        self._connect_timeout = connect_timeout
        self._heartbeat = heartbeat
        self._blocked_timeout = blocked_timeout
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _connect(self) -> tuple[pika.BlockingConnection, BlockingChannel]:
        connection, channel = self._connection, self._channel
        if connection is not None and connection.is_open and channel is not None and channel.is_open:
            return connection, channel
        self.close()
        try:
            parameters = pika.URLParameters(self._url)
            parameters.socket_timeout = self._connect_timeout
            parameters.stack_timeout = self._connect_timeout * 2
            parameters.heartbeat = self._heartbeat
            parameters.blocked_connection_timeout = self._blocked_timeout
            parameters.connection_attempts = 1
            parameters.client_properties = {"connection_name": "gateway publisher"}
            connection = pika.BlockingConnection(parameters)
            channel = connection.channel()
            channel.confirm_delivery()
            topology = self._topology
            channel.exchange_declare(topology.exchange, exchange_type="topic", durable=True)
            if topology.queue:
                channel.queue_declare(topology.queue, durable=True)
                channel.queue_bind(topology.queue, topology.exchange, routing_key=topology.binding_key)
        except (pika.exceptions.AMQPError, OSError, ValueError) as exc:
            raise BrokerUnavailable(f"cannot connect to {redacted(self._url)}: {_describe(exc)}") from exc
        self._connection, self._channel = connection, channel
        return connection, channel

    def publish(self, message: Message) -> None:
        _connection, channel = self._connect()
        properties = pika.BasicProperties(
            message_id=message.message_id,
            type=message.type,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=pika.DeliveryMode.Persistent,
            app_id="gateway",
            timestamp=int(time.time()),
            headers=message.headers or None,
        )
        try:
            channel.basic_publish(
                self._topology.exchange, message.routing_key, message.body, properties=properties, mandatory=True
            )
        except pika.exceptions.UnroutableError as exc:
            # The broker has dropped it: nothing is bound for this key (no queue set, none declared).
            raise BrokerUnavailable(
                f"message {message.message_id} could not be routed by exchange "
                f"{self._topology.exchange!r} (no queue bound for {message.routing_key!r})"
            ) from exc
        except (pika.exceptions.AMQPError, OSError, ValueError) as exc:
            self.close()
            raise BrokerUnavailable(f"publishing {message.message_id} failed: {_describe(exc)}") from exc

    def idle(self, seconds: float) -> None:
        connection, _channel = self._connect()
        try:
            connection.process_data_events(time_limit=seconds)
        except (pika.exceptions.AMQPError, OSError) as exc:
            self.close()
            raise BrokerUnavailable(f"connection to {redacted(self._url)} lost: {_describe(exc)}") from exc

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is being dropped anyway
                pass


def _describe(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"[:500]

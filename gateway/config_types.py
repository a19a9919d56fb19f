"""Value types of settings whose check a bound cannot say: addresses, URLs, time zones, roles.

Each is an ``Annotated`` type whose validator raises ``ValueError`` with a sentence an operator
can act on; :mod:`gateway.config` declares settings with them (``timezone: TimeZone = ...``)
and reports the sentence after the setting's name.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator, Field

from gateway.networks import parse_network
from gateway.staff_roles import StaffRole

__all__ = [
    "AmqpUrl",
    "DatabaseUrl",
    "HttpUrl",
    "ListenAddress",
    "LogFormat",
    "LogLevel",
    "Mailbox",
    "Networks",
    "Port",
    "RoleLimits",
    "StaffRoles",
    "TimeZone",
]


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (example: Europe/Luxembourg)") from None
    return value


def _listen_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not value or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an address to listen on") from None
    return value


def _networks(value: list[str]) -> list[str]:
    for item in value:
        try:
            parse_network(item)  # the one parser, as the web and the SFTP accounts read them
        except ValueError as exc:
            raise ValueError(f"{exc} (example: 10.0.0.0/8)") from None
    return value


def _http_url(value: str) -> str:
    url = urlparse(value)
    if url.scheme not in {"http", "https"} or not url.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _database_url(value: str) -> str:
    if not value:
        return value
    from sqlalchemy.engine import make_url  # only when a URL is set
    from sqlalchemy.exc import ArgumentError  # imported with make_url, for the same reason

    try:
        backend = make_url(value).get_backend_name()
    except ArgumentError:
        raise ValueError(f"{value!r} is not a database URL (example: postgresql://user@host:5432/name)") from None
    if backend not in {"sqlite", "postgresql"}:
        raise ValueError(f"backend {backend!r} is not supported (use sqlite or postgresql)")
    return value


def _amqp_url(value: str) -> str:
    url = urlparse(value)
    if value and (url.scheme not in {"amqp", "amqps"} or not url.hostname):
        # the URL may hold a password: never repeat it
        raise ValueError("expected amqp://user:password@host:5672/vhost (or amqps://), got a URL without that form")
    return value


def _mailbox(value: str) -> str:
    from gateway.intake.replytoken import ReplyAddress  # the one parser of reply mailboxes

    ReplyAddress.parse(value)  # ValueError names the problem
    return value


def _staff_roles(value: list[str]) -> list[str]:
    for role in value:
        if role not in {r.value for r in StaffRole}:
            raise ValueError(f"{role!r} is not a staff role ({', '.join(StaffRole)})")
    return value


def _one_of(*choices: str, fold: bool = False) -> AfterValidator:
    def check(value: str) -> str:
        if (value.upper() if fold else value) not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return AfterValidator(check)


TimeZone = Annotated[str, AfterValidator(_time_zone)]
ListenAddress = Annotated[str, AfterValidator(_listen_address)]
Networks = Annotated[list[str], AfterValidator(_networks)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
AmqpUrl = Annotated[str, AfterValidator(_amqp_url)]
Mailbox = Annotated[str, AfterValidator(_mailbox)]
StaffRoles = Annotated[list[str], AfterValidator(_staff_roles)]
Port = Annotated[int, Field(ge=0, le=65535)]
#: per-role values: 0 (or a role not listed) means no limit
RoleLimits = dict[str, Annotated[int, Field(ge=0)]]
LogLevel = Annotated[str, _one_of("DEBUG", "INFO", "WARNING", "ERROR", fold=True)]
LogFormat = Annotated[str, _one_of("auto", "json", "console")]

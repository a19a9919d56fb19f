"""Settings: ``config.toml`` plus ``GATEWAY_<SECTION>__<KEY>`` overrides -> frozen, validated values.

Every setting is declared once, here, with its type, default, unit, constraint and purpose;
pydantic checks them all when the settings are loaded, so every command refuses a
configuration it cannot use (exit status 2, each problem naming its setting). The comments
in ``config.toml`` and ``docs/configuration.md`` are generated from these declarations
(``python -m gateway.config_docs --write``) and the tests fail while they differ. Only
``gateway.cli`` calls :func:`load_settings`; it hands each area its section (or plain values
taken from it), so no default is written twice.

Adding a setting is one line in its section class::

    max_widgets: int = setting(10, "Widgets one provider may keep.", "widgets", gt=0)

``setting(default, doc, unit="", **constraints)`` takes pydantic's ``Field`` constraints
(``gt``, ``ge``, ``le``, ...); a check a bound cannot say is a type from
:mod:`gateway.config_types` (``TimeZone``, ``Networks``, ...), or a ``model_validator`` on
the section when it relates two settings of that section. ``gateway.config_check`` keeps
only what looks at the host (writable folders) or across sections and roles. Then run
``python -m gateway.config_docs --write``. A setting written the former way (the same
``setting(default, doc, unit)`` line in a dataclass section) ports as it is; a check of it
added to ``config_check.check_settings`` moves into the line as a bound or a value type.
A value object below the CLI that needs a default of its own names the declaration,
``declared(IntakeSettings, "mail_max_bytes")``, instead of repeating the number.

Precedence: environment, then the config file, then the declared default. Environment values
are strings read the lenient way (``yes``/``on`` for true, lists comma-separated, tables as
``key=value`` pairs); the file is read strictly (a quoted number is an error). Relative paths
are resolved against the folder of the config file (or the working folder when no file is
used); an empty path means "the default place", never the current folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from gateway.config_types import (
    AmqpUrl,
    DatabaseUrl,
    HttpUrl,
    ListenAddress,
    LogFormat,
    LogLevel,
    Mailbox,
    Networks,
    Port,
    RoleLimits,
    StaffRoles,
    TimeZone,
)
from gateway.errors import ConfigError

ENV_PREFIX = "GATEWAY_"


def setting(default: Any, doc: str, unit: str = "", **constraints: Any) -> Any:
    """Declares one setting: its default, what it is for, its unit and its bounds
    (``gt``, ``ge``, ``le``, ... as in pydantic's ``Field``)."""
    extra: JsonDict = {"unit": unit}
    if isinstance(default, Path):  # paths come from TOML and environment strings
        constraints.setdefault("strict", False)
    if isinstance(default, (list, dict)):
        return Field(
            default_factory=lambda: type(default)(default), description=doc, json_schema_extra=extra, **constraints
        )
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


class Section(BaseModel):
    """One ``[section]`` of config.toml: frozen, strict types, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


# --------------------------------------------------------------------------- sections


class PathsSettings(Section):
    """Where the gateway keeps its files."""

    data: Path = setting(Path("var"), "Data folder: database, archives, host key, mail drop, demo keys.")
    inbox: Path = setting(Path("inbox"), "Inbox spool root, one folder per provider code.")
    outbox: Path = setting(Path("outbox"), "Outbox spool root, one folder per provider code.")
    providers: Path = setting(
        Path("providers"), "Provider accounts (derived from the database) and application dossiers."
    )
    schemas: Path = setting(Path("schemas"), "Request and response schemas, version registry and nomenclature.")


class DatabaseSettings(Section):
    """The database."""

    url: DatabaseUrl = setting(
        "", "SQLAlchemy URL. Empty: SQLite file gateway.db in paths.data. postgresql:// uses psycopg 3."
    )
    busy_timeout_ms: int = setting(
        10000, "SQLite: how long a writer waits for the lock before failing.", "milliseconds"
    )


class SftpSettings(Section):
    """The SSH/SFTP listener providers connect to."""

    host: ListenAddress = setting("127.0.0.1", "Address the SFTP server listens on.")
    port: Port = setting(2222, "TCP port of the SFTP server.")
    host_key: Path = setting(
        Path(""), "Host private key (ed25519). Empty: ssh_host_ed25519_key in paths.data, generated on first start."
    )
    processes: int = setting(1, "Server processes sharing the port (SO_REUSEPORT); 0 means one per core.", ge=0)
    durable: bool = setting(
        True, "fsync every upload and its folder before the close is answered. Turn off only for measurements."
    )
    max_connections_per_address_per_second: float = setting(
        10.0, "New connections accepted from one source address per second.", "connections/second"
    )
    max_sessions_per_account: int = setting(10, "Concurrent sessions of one provider account.", gt=0)
    max_sessions_total: int = setting(2000, "Concurrent sessions across all accounts.", gt=0)
    max_auth_attempts: int = setting(6, "Authentication attempts allowed on one connection.", gt=0)
    auth_timeout: float = setting(30.0, "Time allowed to authenticate after connecting.", "seconds")
    idle_timeout: float = setting(900.0, "A session with no traffic for this long is closed.", "seconds")
    ban_after_failures: int = setting(10, "Failed logins from one address, within ban_window, that ban it.")
    ban_window: float = setting(600.0, "Window over which failed logins are counted.", "seconds")
    ban_seconds: float = setting(900.0, "How long a banned address is refused.", "seconds")
    account_throttle_after: int = setting(
        5,
        "Failed password logins of one account, within ban_window, after which each further password attempt on it waits (keys never wait).",
    )
    account_throttle_max_delay: float = setting(
        10.0,
        "Longest wait before a password attempt on a throttled account is checked (the wait doubles with each failure up to this).",
        "seconds",
    )
    max_unauthenticated_connections: int = setting(
        200,
        "Connections of one server process not yet logged in; further connections are closed before the SSH banner.",
    )
    max_unauthenticated_per_address: int = setting(
        20,
        "Connections of one source address not yet logged in (per server process); further ones are closed before the SSH banner.",
    )
    max_channels_per_connection: int = setting(
        4, "Open SSH channels on one connection; further channel opens are refused."
    )
    max_buffered_bytes_per_connection: int = setting(
        33554432,
        "Bytes a connection may have received and not yet consumed, over all its channels; each channel is offered this divided by max_channels_per_connection as its window (at most 8 MiB), and a client sending beyond its window is disconnected.",
        "bytes",
    )
    max_handles_per_session: int = setting(
        64, "Files and folders one SFTP session may have open at once; the next open is refused."
    )
    max_inbox_bytes_per_provider: int = setting(
        536870912,
        "Bytes one provider may have in its inbox (files waiting to be checked, .part files and uploads in progress); an upload beyond it is refused.",
        "bytes",
    )
    max_inbox_files_per_provider: int = setting(
        1000,
        "Files one provider may have in its inbox (waiting, .part and uploads in progress); the next upload is refused.",
    )
    min_free_bytes: int = setting(
        1073741824, "Uploads are refused while the inbox's filesystem has less free space than this.", "bytes"
    )
    max_refusals_recorded_per_session: int = setting(
        50,
        "Distinct refused operations (operation, path, reason) of one SFTP session recorded in the audit trail; repeats of one are counted on its record, and beyond this number only how many were left out is recorded when the session ends.",
    )


class WebSettings(Section):
    """The staff interface, applicant pages and REST API."""

    host: ListenAddress = setting("127.0.0.1", "Address the web server listens on.")
    port: Port = setting(8080, "TCP port of the web server.")
    public_url: HttpUrl = setting(
        "http://127.0.0.1:8080", "Base URL applicants and staff use (follow-up links in messages)."
    )
    trusted_proxies: Networks = setting(
        [], "Addresses or networks of reverse proxies whose X-Forwarded-For is believed."
    )
    session_max_age: int = setting(28800, "Staff session lifetime.", "seconds")
    lockout_after_failures: int = setting(5, "Failed staff logins that lock an account for lockout_seconds.")
    lockout_seconds: int = setting(
        900,
        "Window of the lockout: failed password, current-password and second-factor checks within it count together, and a locked login stays locked until it ends.",
        "seconds",
    )
    require_second_factor: StaffRoles = setting(
        ["admin"],
        "Staff roles (agent, admin) that must log in with a second factor (TOTP); members of other roles may set one up from their account page, and are then always asked for it.",
    )
    access_log: bool = setting(
        True,
        "Log one line per web request (method, path, status); secrets in paths and queries (follow-up tokens, keys) are redacted.",
    )
    max_form_bytes: int = setting(
        65536,
        "Largest request body of every route but the document uploads (forms, JSON); larger ones get 413 before they are read.",
        "bytes",
        gt=0,
    )
    max_field_bytes: int = setting(
        16384,
        "Largest form field other than a file, on every form; larger ones get 413 while the form streams in.",
        "bytes",
        gt=0,
    )


class PortalSettings(Section):
    """The provider portal: providers see, send and collect their files in a browser (docs/portal.md)."""

    host: ListenAddress = setting(
        "127.0.0.1",
        "Address the provider portal listens on (its own listener, so the staff web and the REST API can stay off the network providers reach).",
    )
    port: Port = setting(8443, "TCP port of the provider portal.")
    public_url: HttpUrl = setting(
        "http://127.0.0.1:8443", "Base URL providers use to reach the portal (password links in messages)."
    )
    session_max_age: int = setting(3600, "Provider session lifetime in the portal.", "seconds", gt=0)
    password_link_hours: int = setting(
        72, "How long a password-setting link staff send to a key-only account works.", "hours", gt=0
    )
    notify_interval: float = setting(
        30.0,
        "How often the portal looks for responses to notify (providers who chose e-mail notifications); the daily digest goes out at the first look after 07:00.",
        "seconds",
        gt=0,
    )


class ExchangeSettings(Section):
    """Request files: limits, time zone, workers, retention."""

    max_file_bytes: int = setting(52428800, "Largest request file, inclusive.", "bytes", gt=0)
    timezone: TimeZone = setting(
        "Europe/Luxembourg", "Time zone of the day of receipt and of date-times without offset."
    )
    part_max_age: int = setting(
        86400, "How long an unrenamed .part upload may wait before it is removed.", "seconds", gt=0
    )
    workers: int = setting(2, "Worker threads checking files in one process (different providers in parallel).", gt=0)
    poll_interval: float = setting(0.5, "How often an idle worker looks for new work in the database.", "seconds")
    watch_quiet_period: float = setting(
        2.0,
        "Watcher: a file written by other means must be unchanged this long after its close before it is taken.",
        "seconds",
    )
    retention_days: int = setting(
        730, "Request files, responses and their personal data are deleted this long after receipt.", "days", gt=0
    )
    forwarding_key: str = setting(
        "", "Secret for the keyed hashes kept after purge (DUP-002). Empty: generated once in paths.data."
    )
    max_attempts: int = setting(
        3,
        "Processing attempts of one request file (checks that raise, or a process that dies while it is in hand) before it is answered with SYS-001 and staff are alerted, so its provider's later files go on.",
    )
    claim_lease: float = setting(
        60.0,
        "A worker's claim on a file lapses this long after its last renewal (crash of a node), so another worker resumes the file.",
        "seconds",
    )
    archive: Path = setting(
        Path(""),
        "Folder where claimed request files and copies of their responses are kept until purge. Empty: archive in paths.data.",
    )
    rescan_interval: float = setting(
        60.0,
        "How often the inbox is rescanned for files no event announced (safety net of the watcher and workers).",
        "seconds",
    )


class ForwardingSettings(Section):
    """Pushing forwarded records to the back office's message broker (AMQP 0-9-1, RabbitMQ)."""

    amqp_url: AmqpUrl = setting(
        "",
        "Broker URL, amqp://user:password@host:5672/vhost (amqps:// for TLS). Empty: no push; the back office pulls (gateway forwarded export, GET /api/v1/forwarded). Set: records go through the outbox and `gateway serve` runs the publisher role.",
    )
    exchange: str = setting(
        "gateway.forwarded",
        "Durable topic exchange the gateway declares and publishes to; routing keys <type>.<convention>.<provider> (record.KINE.45001237, withdrawal.LAB.31000425).",
    )
    queue: str = setting(
        "gateway.forwarded",
        "Durable queue the gateway declares and binds to the exchange. Empty: none; the back office declares and binds its own (a message nothing is bound for is not marked sent).",
    )
    binding_key: str = setting("#", "Binding key of the queue on the exchange (# takes every message).")
    batch_size: int = setting(
        100, "Outbox messages a publisher claims at a time (one provider's, in order).", "messages", gt=0
    )
    claim_lease: float = setting(
        30.0,
        "A publisher's claim on outbox messages lapses this long after its last renewal (a dead publisher's messages are then taken over).",
        "seconds",
        gt=0,
    )
    poll_interval: float = setting(1.0, "How often an idle publisher looks for new messages.", "seconds", gt=0)
    retry_initial: float = setting(
        1.0, "First wait after the broker failed; doubled after each failure.", "seconds", gt=0
    )
    retry_max: float = setting(60.0, "Longest wait between attempts while the broker is down.", "seconds")
    connect_timeout: float = setting(10.0, "Time allowed to connect to the broker.", "seconds", gt=0)
    heartbeat: int = setting(
        30, "AMQP heartbeat: a silent connection is taken for dead after two of them.", "seconds", ge=0
    )
    blocked_timeout: float = setting(
        60.0,
        "A broker that blocks publishers (memory or disk alarm) longer than this is treated as down.",
        "seconds",
        gt=0,
    )

    @model_validator(mode="after")
    def _broker_settings_agree(self) -> ForwardingSettings:
        if self.amqp_url and not self.exchange.strip():
            raise ValueError("exchange: a name is required when forwarding.amqp_url is set")
        if self.retry_max < self.retry_initial:
            raise ValueError(
                f"retry_max: must be at least forwarding.retry_initial ({self.retry_initial}), got {self.retry_max}"
            )
        return self


class IntakeSettings(Section):
    """Provider-code applications and their documents."""

    max_document_bytes: int = setting(20971520, "Largest application document, inclusive.", "bytes", gt=0)
    maildrop: Path = setting(
        Path(""), "Maildir the fund's mail server delivers applications into. Empty: maildrop in paths.data."
    )
    clamd_socket: str = setting("", "clamd socket path; when set every document and mail is scanned first.")
    applications_per_address_per_hour: int = setting(
        5, "Applications the public form accepts from one address per hour."
    )
    uploads_per_address_per_hour: int = setting(60, "Documents the public form accepts from one address per hour.")
    followup_days_after_close: int = setting(
        90, "Follow-up links stop working this long after the application is closed.", "days"
    )
    mail_max_bytes: int = setting(
        31457280, "Largest mail-drop message, inclusive; a larger one is quarantined before it is read.", "bytes", gt=0
    )
    mail_max_parts: int = setting(
        100,
        "MIME parts of one mail-drop message (bodies, attachments and the containers around them); more: quarantined.",
        gt=0,
    )
    mail_max_attachments: int = setting(20, "Attachments of one mail-drop message; more: quarantined.", gt=0)
    mail_max_depth: int = setting(
        10, "How deep the MIME parts of one mail-drop message may nest; deeper: quarantined.", gt=0
    )
    mail_max_attempts: int = setting(
        3, "Attempts at a mail-drop message whose reading fails unexpectedly, before it is quarantined.", gt=0
    )
    retention_days: int = setting(
        730, "Documents and reports are deleted this long after the application is closed.", "days", gt=0
    )
    mail_retention_days: int = setting(
        730,
        "The mail drop's copies of the messages it took (cur/) are deleted this long after delivery; the documents they brought stay in the dossier.",
        "days",
        gt=0,
    )
    mail_held_days: int = setting(
        90,
        "Quarantined messages, and messages still waiting for staff to attach them, are deleted this long after delivery.",
        "days",
        gt=0,
    )
    document_workers: int = setting(
        2,
        "Worker processes that read documents (checks, text for kind suggestions, previews) under the limits below; callers wait for a free one.",
        gt=0,
    )
    document_memory_bytes: int = setting(
        1073741824,
        "Address space of one document worker process, interpreter and libraries included (about 100 MiB); a document that needs more is refused (pdf_trop_complexe) or gets a placeholder preview. At least 256 MiB.",
        "bytes",
        ge=268435456,
    )
    document_cpu_seconds: float = setting(
        20.0, "CPU time one document check, text extraction or preview may use in its worker.", "seconds", gt=0
    )
    document_wall_seconds: float = setting(
        30.0,
        "How long the gateway waits for a document worker's answer (and for a free worker) before it kills the worker.",
        "seconds",
        gt=0,
    )


class MailSettings(Section):
    """Messages to applicants."""

    smtp_host: str = setting("", "SMTP server. Empty: messages are written to the outgoing folder instead.")
    smtp_port: Port = setting(587, "SMTP port.")
    smtp_starttls: bool = setting(True, "Use STARTTLS with the SMTP server.")
    smtp_user: str = setting("", "SMTP user name (empty: no authentication).")
    smtp_password_env: str = setting("", "Name of the environment variable holding the SMTP password.")
    sender: str = setting("noreply@gateway.invalid", "From address of messages to applicants.")
    reply_address: Mailbox = setting(
        "",
        "Mailbox applicants reply to, delivered into the mail drop; messages carry its plus address per application (demandes+<token>@...) as Reply-To. Empty: the reply token travels in the subject only.",
    )
    outgoing: Path = setting(
        Path(""), "Folder for messages when no SMTP server is set. Empty: outgoing-mail in paths.data."
    )


class DemoSettings(Section):
    """Demonstration accounts."""

    enabled: bool = setting(
        True, "On first start, create one demo provider per exchange profession with a generated key pair."
    )


class LogSettings(Section):
    """Logging."""

    level: LogLevel = setting("INFO", "Lowest level written: DEBUG, INFO, WARNING, ERROR.")
    format: LogFormat = setting("auto", "auto (JSON when not on a terminal), json or console.")


class ClientSettings(Section):
    """The provider-side client (gateway client ...)."""

    host: str = setting("127.0.0.1", "Gateway SFTP host.")
    port: Port = setting(2222, "Gateway SFTP port.")
    user: str = setting("", "Provider code to log in as.")
    key_file: Path = setting(
        Path(""), "Private key file. Empty: password from the environment variable named by password_env."
    )
    password_env: str = setting(
        "GATEWAY_CLIENT_PASSWORD", "Environment variable holding the password when no key file is set."
    )
    known_hosts: Path = setting(Path("client/known_hosts"), "Known-hosts file holding the gateway's host key.")
    database: str = setting("", "SQLAlchemy URL of the provider's local database. Empty: client.db beside known_hosts.")
    retries: int = setting(5, "Attempts for a network operation before giving up.")


class ProcessesSettings(Section):
    """How ``gateway serve`` runs the roles: one supervised process each, with its own limits."""

    workers: int = setting(0, "Worker processes (each runs exchange.workers threads); 0 means one per core.", ge=0)
    memory_max: RoleLimits = setting(
        {"sftp": 42949672960, "worker": 4294967296, "watcher": 4294967296, "web": 4294967296, "portal": 4294967296},
        "Address-space limit (RLIMIT_AS) of each process of a role, by role; 0 or a role not listed: no limit. "
        "It counts what is reserved, not what is used: every thread reserves 8 MiB of stack, and each SFTP "
        "session has two threads, so the SFTP default leaves room for sftp.max_sessions_total sessions. "
        "Bound resident memory with the service manager (MemoryMax= in the systemd units).",
        "bytes",
    )
    open_files: RoleLimits = setting(
        {"sftp": 16384, "worker": 1024, "watcher": 1024, "web": 4096, "portal": 4096},
        "Open files and sockets (RLIMIT_NOFILE) of each process of a role, by role; 0 or a role not listed: "
        "inherited. Capped at the hard limit the gateway was started with.",
    )
    restart_delay: float = setting(
        1.0,
        "Wait before restarting a process that died; doubles with each exit within crash_loop_window, up to restart_delay_max.",
        "seconds",
        gt=0,
    )
    restart_delay_max: float = setting(30.0, "Longest wait before a restart.", "seconds", gt=0)
    crash_loop_exits: int = setting(
        5,
        "Exits of one process within crash_loop_window after which it is not restarted again (logged as an error, shown on /status).",
        gt=0,
    )
    crash_loop_window: float = setting(120.0, "Window over which a process's exits are counted.", "seconds", gt=0)
    stop_timeout: float = setting(
        45.0, "How long a process may take to finish its work after SIGTERM before it is killed.", "seconds", gt=0
    )


class Settings(BaseSettings):
    """All settings, one attribute per section of config.toml."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        enable_decoding=False,
    )

    paths: PathsSettings = Field(default_factory=PathsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    sftp: SftpSettings = Field(default_factory=SftpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    forwarding: ForwardingSettings = Field(default_factory=ForwardingSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    client: ClientSettings = Field(default_factory=ClientSettings)
    processes: ProcessesSettings = Field(default_factory=ProcessesSettings)
    #: the config file read, or None for built-in defaults
    source: Path | None = None

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data folder."""
        return self.database.url or f"sqlite:///{self.paths.data / 'gateway.db'}"

    @property
    def host_key_path(self) -> Path:
        """The SFTP host key file."""
        return self.sftp.host_key if _set(self.sftp.host_key) else self.paths.data / "ssh_host_ed25519_key"

    @property
    def maildrop_path(self) -> Path:
        """The Maildir applications are delivered into."""
        return self.intake.maildrop if _set(self.intake.maildrop) else self.paths.data / "maildrop"

    @property
    def outgoing_mail_path(self) -> Path:
        """The folder of messages written when no SMTP server is set."""
        return self.mail.outgoing if _set(self.mail.outgoing) else self.paths.data / "outgoing-mail"

    @property
    def accounts_path(self) -> Path:
        """Folder of the derived provider account files."""
        return self.paths.providers / "accounts"

    @property
    def applications_path(self) -> Path:
        """Folder of application dossiers (documents as received)."""
        return self.paths.providers / "applications"


def _set(path: Path) -> bool:
    """False for the empty path ("the default place"; str(Path("")) is ".")."""
    return str(path) not in ("", ".")


def sections() -> dict[str, type[Section]]:
    """Section name -> settings class, in config.toml order."""
    return {
        name: f.annotation
        for name, f in Settings.model_fields.items()
        if name != "source" and isinstance(f.annotation, type) and issubclass(f.annotation, Section)
    }


def declared(section: type[Section], key: str) -> Any:
    """The declared default of one setting, for a value object below the CLI that has a
    default of its own (``max_bytes: int = declared(IntakeSettings, "mail_max_bytes")``), so
    the number is written once."""
    return section.model_fields[key].get_default(call_default_factory=True)


def _unit(f: FieldInfo) -> str:
    """The unit :func:`setting` put in a field's schema extra (always a dict there)."""
    extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
    return str(extra["unit"])


def describe() -> list[tuple[str, str, Any, str, str]]:
    """Every setting as (section, key, default, unit, doc), for docs and checks."""
    return [
        (name, key, f.get_default(call_default_factory=True), _unit(f), f.description or "")
        for name, cls in sections().items()
        for key, f in cls.model_fields.items()
    ]


def constraints(section: str, key: str) -> list[str]:
    """The bounds declared on one setting, as words (``greater than 0``), for the docs."""
    words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
    found = []
    for item in sections()[section].model_fields[key].metadata:
        for attribute, word in words.items():
            value = getattr(item, attribute, None)
            if value is not None:
                found.append(f"{word} {value}")
    return found


# --------------------------------------------------------------------------- loading


class _Environment(EnvSettingsSource):
    """pydantic-settings' reading of ``GATEWAY_<SECTION>__<KEY>``, from a given mapping, with
    each string turned into its setting's type the lenient way (the model itself is strict)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}  # names are case-insensitive

    def __call__(self) -> dict[str, Any]:
        values = {name: table for name, table in super().__call__().items() if name in sections()}
        for name, table in values.items():
            if not isinstance(table, dict):  # GATEWAY_<SECTION>=... without a key: left for the model to refuse
                continue
            fields = sections()[name].model_fields
            for key, text in table.items():
                if key in fields and isinstance(text, str):
                    table[key] = _from_text(fields[key].annotation, text)
        return values


@cache
def _lenient(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _from_text(annotation: Any, text: str) -> Any:
    """An environment string as a value of ``annotation``; the string itself when it is not
    one (the strict model then reports it)."""
    origin = get_origin(annotation)
    if origin is list:
        (item_type,) = get_args(annotation)
        return [_from_text(item_type, item.strip()) for item in text.split(",") if item.strip()]
    if origin is dict:  # "a=1,b=2"
        key_type, item_type = get_args(annotation)
        pairs = [item.partition("=") for item in text.split(",") if item.strip()]
        if any(not sep or not key.strip() for key, sep, _ in pairs):
            return text
        return {_from_text(key_type, key.strip()): _from_text(item_type, item.strip()) for key, _, item in pairs}
    if origin is Annotated:  # the bounds are the model's to check, with the setting's name
        annotation = get_args(annotation)[0]
    try:
        return _lenient(annotation).validate_python(text)
    except ValidationError:
        return text


#: pydantic error types -> the words check-config has always used
_EXPECTED = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a table { key = value, ... }",
    "model_type": "expected a table",
    "is_instance_of": "expected a path (string)",
    "path_type": "expected a path (string)",
}

#: pydantic error types of bounds -> (words, the bound's name in the error's context)
_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


def _problem(error: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """One pydantic error as a sentence naming the setting (and the variable it came from)."""
    loc = [str(part) for part in error["loc"]]
    where = ".".join(loc)
    if len(loc) >= 2:
        variable = f"{ENV_PREFIX}{loc[0].upper()}__{loc[1].upper()}"
        if variable in {name.upper() for name in environ}:
            if error["type"] == "extra_forbidden":
                return f"{variable}: unknown setting {loc[0]}.{loc[1]}"
            where += f" (from {variable})"
    if error["type"] == "extra_forbidden":
        return (
            f"{where}: unknown setting"
            if len(loc) > 1
            else f"[{where}]: unknown section (known: {', '.join(sections())})"
        )
    if error["type"] in _EXPECTED:
        return f"{where}: {_EXPECTED[error['type']]}, got {error['input']!r}"
    if error["type"] in _BOUNDS:
        word, bound = _BOUNDS[error["type"]]
        return f"{where}: must be {word} {error['ctx'][bound]}, got {error['input']!r}"
    message = error["msg"].removeprefix("Value error, ")
    key, colon, rest = message.partition(": ")
    if len(loc) == 1 and colon and key in sections().get(loc[0], Section).model_fields:  # a section's own check
        return f"{where}.{key}: {rest}"
    return f"{where}: {message[0].lower()}{message[1:]}" if error["type"] != "value_error" else f"{where}: {message}"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Reads ``path`` (or only defaults) and the environment into :class:`Settings`.

    Raises :class:`ConfigError` (exit status 2) listing every unknown key, wrong type and
    value out of bounds found.
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path).expanduser().absolute()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist", code="CFG-001", path=str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}", code="CFG-001") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}", code="CFG-002") from None
        base = path.parent

    problems = [
        f"{name}: unknown section {name[len(ENV_PREFIX) :].partition('__')[0].lower()!r}"
        for name in environ
        if name.upper().startswith(ENV_PREFIX)
        and "__" in name
        and name[len(ENV_PREFIX) :].partition("__")[0].lower() not in sections()
    ]
    for name, table in _Environment(environ)().items():
        if isinstance(raw.get(name), dict) and isinstance(table, dict):
            raw[name] = {**raw[name], **table}
        else:
            raw[name] = table
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems += [_problem(error, environ) for error in exc.errors()]
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the configuration", code="CFG-003", problems=problems)
    return _resolve_paths(settings, base).model_copy(update={"source": path})


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    """Relative paths (set or default) resolved against ``base``; empty paths left empty."""
    update = {}
    for name in sections():
        section = getattr(settings, name)
        resolved = {
            key: _resolve(value, base)
            for key in type(section).model_fields
            if isinstance(value := getattr(section, key), Path) and _set(value)
        }
        if resolved:
            update[name] = section.model_copy(update=resolved)
    return settings.model_copy(update=update)


def _resolve(value: Path, base: Path) -> Path:
    value = value.expanduser()
    return value if value.is_absolute() else (base / value)


def find_config(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The config file to use: ``--config``, else $GATEWAY_CONFIG, else ./config.toml if present."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if environ.get("GATEWAY_CONFIG"):
        return Path(environ["GATEWAY_CONFIG"])
    local = Path.cwd() / "config.toml"
    return local if local.is_file() else None

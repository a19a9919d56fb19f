"""Settings: ``config.toml`` plus ``GATEWAY_<SECTION>__<KEY>`` overrides -> frozen values.

Every setting is declared once, here, with its type, default, unit and purpose. The comments
in ``config.toml`` and ``docs/configuration.md`` are checked against these declarations by
the tests, so they cannot drift. Only ``gateway.cli`` calls :func:`load_settings`; the rest
of the package receives plain values.

Relative paths are resolved against the folder of the config file (or the working folder
when no file is used).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from gateway.errors import ConfigError

ENV_PREFIX = "GATEWAY_"


def setting(default: Any, doc: str, unit: str = "") -> Any:
    """Declares one setting: its default, what it is for, and its unit."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"doc": doc, "unit": unit})
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"doc": doc, "unit": unit})
    return field(default=default, metadata={"doc": doc, "unit": unit})


@dataclass(frozen=True)
class PathsSettings:
    """Where the gateway keeps its files."""

    data: Path = setting(Path("var"), "Data folder: database, archives, host key, mail drop, demo keys.")
    inbox: Path = setting(Path("inbox"), "Inbox spool root, one folder per provider code.")
    outbox: Path = setting(Path("outbox"), "Outbox spool root, one folder per provider code.")
    providers: Path = setting(Path("providers"), "Provider accounts (derived from the database) and application dossiers.")
    schemas: Path = setting(Path("schemas"), "Request and response schemas, version registry and nomenclature.")


@dataclass(frozen=True)
class DatabaseSettings:
    """The database."""

    url: str = setting("", "SQLAlchemy URL. Empty: SQLite file gateway.db in paths.data. postgresql:// uses psycopg 3.")
    busy_timeout_ms: int = setting(10000, "SQLite: how long a writer waits for the lock before failing.", "milliseconds")


@dataclass(frozen=True)
class SftpSettings:
    """The SSH/SFTP listener providers connect to."""

    host: str = setting("127.0.0.1", "Address the SFTP server listens on.")
    port: int = setting(2222, "TCP port of the SFTP server.")
    host_key: Path = setting(Path(""), "Host private key (ed25519). Empty: ssh_host_ed25519_key in paths.data, generated on first start.")
    processes: int = setting(1, "Server processes sharing the port (SO_REUSEPORT); 0 means one per core.")
    durable: bool = setting(True, "fsync every upload and its folder before the close is answered. Turn off only for measurements.")
    max_connections_per_address_per_second: float = setting(10.0, "New connections accepted from one source address per second.", "connections/second")
    max_sessions_per_account: int = setting(10, "Concurrent sessions of one provider account.")
    max_sessions_total: int = setting(2000, "Concurrent sessions across all accounts.")
    max_auth_attempts: int = setting(6, "Authentication attempts allowed on one connection.")
    auth_timeout: float = setting(30.0, "Time allowed to authenticate after connecting.", "seconds")
    idle_timeout: float = setting(900.0, "A session with no traffic for this long is closed.", "seconds")
    ban_after_failures: int = setting(10, "Failed logins from one address, within ban_window, that ban it.")
    ban_window: float = setting(600.0, "Window over which failed logins are counted.", "seconds")
    ban_seconds: float = setting(900.0, "How long a banned address is refused.", "seconds")
    account_throttle_after: int = setting(5, "Failed password logins of one account, within ban_window, after which each further password attempt on it waits (keys never wait).")
    account_throttle_max_delay: float = setting(10.0, "Longest wait before a password attempt on a throttled account is checked (the wait doubles with each failure up to this).", "seconds")
    max_unauthenticated_connections: int = setting(200, "Connections of one server process not yet logged in; further connections are closed before the SSH banner.")
    max_unauthenticated_per_address: int = setting(20, "Connections of one source address not yet logged in (per server process); further ones are closed before the SSH banner.")
    max_channels_per_connection: int = setting(4, "Open SSH channels on one connection; further channel opens are refused.")
    max_buffered_bytes_per_connection: int = setting(33554432, "Bytes a connection may have received and not yet consumed, over all its channels; each channel is offered this divided by max_channels_per_connection as its window (at most 8 MiB), and a client sending beyond its window is disconnected.", "bytes")
    max_handles_per_session: int = setting(64, "Files and folders one SFTP session may have open at once; the next open is refused.")
    max_inbox_bytes_per_provider: int = setting(536870912, "Bytes one provider may have in its inbox (files waiting to be checked, .part files and uploads in progress); an upload beyond it is refused.", "bytes")
    max_inbox_files_per_provider: int = setting(1000, "Files one provider may have in its inbox (waiting, .part and uploads in progress); the next upload is refused.")
    min_free_bytes: int = setting(1073741824, "Uploads are refused while the inbox's filesystem has less free space than this.", "bytes")
    max_refusals_recorded_per_session: int = setting(50, "Distinct refused operations (operation, path, reason) of one SFTP session recorded in the audit trail; repeats of one are counted on its record, and beyond this number only how many were left out is recorded when the session ends.")


@dataclass(frozen=True)
class WebSettings:
    """The staff interface, applicant pages and REST API."""

    host: str = setting("127.0.0.1", "Address the web server listens on.")
    port: int = setting(8080, "TCP port of the web server.")
    public_url: str = setting("http://127.0.0.1:8080", "Base URL applicants and staff use (follow-up links in messages).")
    trusted_proxies: list[str] = setting([], "Addresses or networks of reverse proxies whose X-Forwarded-For is believed.")
    session_max_age: int = setting(28800, "Staff session lifetime.", "seconds")
    lockout_after_failures: int = setting(5, "Failed staff logins that lock an account for lockout_seconds.")
    lockout_seconds: int = setting(900, "Window of the lockout: failed password, current-password and second-factor checks within it count together, and a locked login stays locked until it ends.", "seconds")
    require_second_factor: list[str] = setting(["admin"], "Staff roles (agent, admin) that must log in with a second factor (TOTP); members of other roles may set one up from their account page, and are then always asked for it.")
    access_log: bool = setting(True, "Log one line per web request (method, path, status); secrets in paths and queries (follow-up tokens, keys) are redacted.")
    max_form_bytes: int = setting(65536, "Largest request body of every route but the document uploads (forms, JSON); larger ones get 413 before they are read.", "bytes")
    max_field_bytes: int = setting(16384, "Largest form field other than a file, on every form; larger ones get 413 while the form streams in.", "bytes")


@dataclass(frozen=True)
class ExchangeSettings:
    """Request files: limits, time zone, workers, retention."""

    max_file_bytes: int = setting(52428800, "Largest request file, inclusive.", "bytes")
    timezone: str = setting("Europe/Luxembourg", "Time zone of the day of receipt and of date-times without offset.")
    part_max_age: int = setting(86400, "How long an unrenamed .part upload may wait before it is removed.", "seconds")
    workers: int = setting(2, "Worker threads checking files in one process (different providers in parallel).")
    poll_interval: float = setting(0.5, "How often an idle worker looks for new work in the database.", "seconds")
    watch_quiet_period: float = setting(2.0, "Watcher: a file written by other means must be unchanged this long after its close before it is taken.", "seconds")
    retention_days: int = setting(730, "Request files, responses and their personal data are deleted this long after receipt.", "days")
    forwarding_key: str = setting("", "Secret for the keyed hashes kept after purge (DUP-002). Empty: generated once in paths.data.")
    max_attempts: int = setting(3, "Processing attempts of one request file (checks that raise, or a process that dies while it is in hand) before it is answered with SYS-001 and staff are alerted, so its provider's later files go on.")
    claim_lease: float = setting(60.0, "A worker's claim on a file lapses this long after its last renewal (crash of a node), so another worker resumes the file.", "seconds")
    archive: Path = setting(Path(""), "Folder where claimed request files and copies of their responses are kept until purge. Empty: archive in paths.data.")
    rescan_interval: float = setting(60.0, "How often the inbox is rescanned for files no event announced (safety net of the watcher and workers).", "seconds")


@dataclass(frozen=True)
class ForwardingSettings:
    """Pushing forwarded records to the back office's message broker (AMQP 0-9-1, RabbitMQ)."""

    amqp_url: str = setting("", "Broker URL, amqp://user:password@host:5672/vhost (amqps:// for TLS). Empty: no push; the back office pulls (gateway forwarded export, GET /api/v1/forwarded). Set: records go through the outbox and `gateway serve` runs the publisher role.")
    exchange: str = setting("gateway.forwarded", "Durable topic exchange the gateway declares and publishes to; routing keys <type>.<convention>.<provider> (record.KINE.45001237, withdrawal.LAB.31000425).")
    queue: str = setting("gateway.forwarded", "Durable queue the gateway declares and binds to the exchange. Empty: none; the back office declares and binds its own (a message nothing is bound for is not marked sent).")
    binding_key: str = setting("#", "Binding key of the queue on the exchange (# takes every message).")
    batch_size: int = setting(100, "Outbox messages a publisher claims at a time (one provider's, in order).", "messages")
    claim_lease: float = setting(30.0, "A publisher's claim on outbox messages lapses this long after its last renewal (a dead publisher's messages are then taken over).", "seconds")
    poll_interval: float = setting(1.0, "How often an idle publisher looks for new messages.", "seconds")
    retry_initial: float = setting(1.0, "First wait after the broker failed; doubled after each failure.", "seconds")
    retry_max: float = setting(60.0, "Longest wait between attempts while the broker is down.", "seconds")
    connect_timeout: float = setting(10.0, "Time allowed to connect to the broker.", "seconds")
    heartbeat: int = setting(30, "AMQP heartbeat: a silent connection is taken for dead after two of them.", "seconds")
    blocked_timeout: float = setting(60.0, "A broker that blocks publishers (memory or disk alarm) longer than this is treated as down.", "seconds")


@dataclass(frozen=True)
class IntakeSettings:
    """Provider-code applications and their documents."""

    max_document_bytes: int = setting(20971520, "Largest application document, inclusive.", "bytes")
    maildrop: Path = setting(Path(""), "Maildir the fund's mail server delivers applications into. Empty: maildrop in paths.data.")
    clamd_socket: str = setting("", "clamd socket path; when set every document and mail is scanned first.")
    applications_per_address_per_hour: int = setting(5, "Applications the public form accepts from one address per hour.")
    uploads_per_address_per_hour: int = setting(60, "Documents the public form accepts from one address per hour.")
    followup_days_after_close: int = setting(90, "Follow-up links stop working this long after the application is closed.", "days")
    mail_max_bytes: int = setting(31457280, "Largest mail-drop message, inclusive; a larger one is quarantined before it is read.", "bytes")
    mail_max_parts: int = setting(100, "MIME parts of one mail-drop message (bodies, attachments and the containers around them); more: quarantined.")
    mail_max_attachments: int = setting(20, "Attachments of one mail-drop message; more: quarantined.")
    mail_max_depth: int = setting(10, "How deep the MIME parts of one mail-drop message may nest; deeper: quarantined.")
    mail_max_attempts: int = setting(3, "Attempts at a mail-drop message whose reading fails unexpectedly, before it is quarantined.")
    retention_days: int = setting(730, "Documents and reports are deleted this long after the application is closed.", "days")
    document_workers: int = setting(2, "Worker processes that read documents (checks, text for kind suggestions, previews) under the limits below; callers wait for a free one.")
    document_memory_bytes: int = setting(1073741824, "Address space of one document worker process, interpreter and libraries included (about 100 MiB); a document that needs more is refused (pdf_trop_complexe) or gets a placeholder preview. At least 256 MiB.", "bytes")
    document_cpu_seconds: float = setting(20.0, "CPU time one document check, text extraction or preview may use in its worker.", "seconds")
    document_wall_seconds: float = setting(30.0, "How long the gateway waits for a document worker's answer (and for a free worker) before it kills the worker.", "seconds")


@dataclass(frozen=True)
class MailSettings:
    """Messages to applicants."""

    smtp_host: str = setting("", "SMTP server. Empty: messages are written to the outgoing folder instead.")
    smtp_port: int = setting(587, "SMTP port.")
    smtp_starttls: bool = setting(True, "Use STARTTLS with the SMTP server.")
    smtp_user: str = setting("", "SMTP user name (empty: no authentication).")
    smtp_password_env: str = setting("", "Name of the environment variable holding the SMTP password.")
    sender: str = setting("noreply@gateway.invalid", "From address of messages to applicants.")
    reply_address: str = setting("", "Mailbox applicants reply to, delivered into the mail drop; messages carry its plus address per application (demandes+<token>@...) as Reply-To. Empty: the reply token travels in the subject only.")
    outgoing: Path = setting(Path(""), "Folder for messages when no SMTP server is set. Empty: outgoing-mail in paths.data.")


@dataclass(frozen=True)
class DemoSettings:
    """Demonstration accounts."""

    enabled: bool = setting(True, "On first start, create one demo provider per exchange profession with a generated key pair.")


@dataclass(frozen=True)
class LogSettings:
    """Logging."""

    level: str = setting("INFO", "Lowest level written: DEBUG, INFO, WARNING, ERROR.")
    format: str = setting("auto", "auto (JSON when not on a terminal), json or console.")


@dataclass(frozen=True)
class ClientSettings:
    """The provider-side client (gateway client ...)."""

    host: str = setting("127.0.0.1", "Gateway SFTP host.")
    port: int = setting(2222, "Gateway SFTP port.")
    user: str = setting("", "Provider code to log in as.")
    key_file: Path = setting(Path(""), "Private key file. Empty: password from the environment variable named by password_env.")
    password_env: str = setting("GATEWAY_CLIENT_PASSWORD", "Environment variable holding the password when no key file is set.")
    known_hosts: Path = setting(Path("client/known_hosts"), "Known-hosts file holding the gateway's host key.")
    database: str = setting("", "SQLAlchemy URL of the provider's local database. Empty: client.db beside known_hosts.")
    retries: int = setting(5, "Attempts for a network operation before giving up.")


@dataclass(frozen=True)
class ProcessesSettings:
    """How ``gateway serve`` runs the roles: one supervised process each, with its own limits."""

    workers: int = setting(0, "Worker processes (each runs exchange.workers threads); 0 means one per core.")
    memory_max: dict[str, int] = setting(
        {"sftp": 42949672960, "worker": 4294967296, "watcher": 4294967296, "web": 4294967296},
        "Address-space limit (RLIMIT_AS) of each process of a role, by role; 0 or a role not listed: no limit. "
        "It counts what is reserved, not what is used: every thread reserves 8 MiB of stack, and each SFTP "
        "session has two threads, so the SFTP default leaves room for sftp.max_sessions_total sessions. "
        "Bound resident memory with the service manager (MemoryMax= in the systemd units).",
        "bytes")
    open_files: dict[str, int] = setting(
        {"sftp": 16384, "worker": 1024, "watcher": 1024, "web": 4096},
        "Open files and sockets (RLIMIT_NOFILE) of each process of a role, by role; 0 or a role not listed: "
        "inherited. Capped at the hard limit the gateway was started with.")
    restart_delay: float = setting(1.0, "Wait before restarting a process that died; doubles with each exit within crash_loop_window, up to restart_delay_max.", "seconds")
    restart_delay_max: float = setting(30.0, "Longest wait before a restart.", "seconds")
    crash_loop_exits: int = setting(5, "Exits of one process within crash_loop_window after which it is not restarted again (logged as an error, shown on /status).")
    crash_loop_window: float = setting(120.0, "Window over which a process's exits are counted.", "seconds")
    stop_timeout: float = setting(45.0, "How long a process may take to finish its work after SIGTERM before it is killed.", "seconds")


@dataclass(frozen=True)
class Settings:
    """All settings, one attribute per section of config.toml."""

    paths: PathsSettings = field(default_factory=PathsSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    sftp: SftpSettings = field(default_factory=SftpSettings)
    web: WebSettings = field(default_factory=WebSettings)
    exchange: ExchangeSettings = field(default_factory=ExchangeSettings)
    forwarding: ForwardingSettings = field(default_factory=ForwardingSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    log: LogSettings = field(default_factory=LogSettings)
    client: ClientSettings = field(default_factory=ClientSettings)
    processes: ProcessesSettings = field(default_factory=ProcessesSettings)
    #: the config file read, or None for built-in defaults
    source: Path | None = None

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data folder."""
        return self.database.url or f"sqlite:///{self.paths.data / 'gateway.db'}"

    @property
    def host_key_path(self) -> Path:
        return self.sftp.host_key if self.sftp.host_key != Path("") else self.paths.data / "ssh_host_ed25519_key"

    @property
    def maildrop_path(self) -> Path:
        return self.intake.maildrop if self.intake.maildrop != Path("") else self.paths.data / "maildrop"

    @property
    def outgoing_mail_path(self) -> Path:
        return self.mail.outgoing if self.mail.outgoing != Path("") else self.paths.data / "outgoing-mail"

    @property
    def accounts_path(self) -> Path:
        """Folder of the derived provider account files."""
        return self.paths.providers / "accounts"

    @property
    def applications_path(self) -> Path:
        """Folder of application dossiers (documents as received)."""
        return self.paths.providers / "applications"


def sections() -> dict[str, type]:
    """Section name -> settings class, in config.toml order."""
    hints = get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings) if f.name != "source"}


def describe() -> list[tuple[str, str, Any, str, str]]:
    """Every setting as (section, key, default, unit, doc), for docs and checks."""
    rows = []
    for name, cls in sections().items():
        for f in fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append((name, f.name, default, f.metadata["unit"], f.metadata["doc"]))
    return rows


# --------------------------------------------------------------------------- loading


def _coerce(value: Any, kind: Any, where: str, from_env: bool) -> Any:
    """Turns a TOML (or environment string) value into ``kind`` or raises ValueError."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if from_env and isinstance(value, str) and value.lower() in {"true", "1", "yes", "on", "false", "0", "no", "off"}:
            return value.lower() in {"true", "1", "yes", "on"}
        raise ValueError(f"{where}: expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_env and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValueError(f"{where}: expected a whole number, got {value!r}")
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if from_env and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ValueError(f"{where}: expected a number, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"{where}: expected a string, got {value!r}")
    if kind is Path:
        if isinstance(value, str):
            return Path(value)
        raise ValueError(f"{where}: expected a path (string), got {value!r}")
    if get_origin(kind) is list:
        if from_env and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        (item_kind,) = get_args(kind)
        if isinstance(value, list):
            return [_coerce(item, item_kind, f"{where}[{i}]", from_env) for i, item in enumerate(value)]
        raise ValueError(f"{where}: expected a list, got {value!r}")
    if get_origin(kind) is dict:
        if from_env and isinstance(value, str):  # "a=1,b=2"
            pairs = [item.partition("=") for item in value.split(",") if item.strip()]
            if any(not sep or not key.strip() for key, sep, _ in pairs):
                raise ValueError(f"{where}: expected key=value pairs separated by commas, got {value!r}")
            value = {key.strip(): item.strip() for key, _, item in pairs}
        key_kind, item_kind = get_args(kind)
        if isinstance(value, dict):
            return {_coerce(k, key_kind, where, from_env): _coerce(v, item_kind, f"{where}.{k}", from_env)
                    for k, v in value.items()}
        raise ValueError(f"{where}: expected a table {{ key = value, ... }}, got {value!r}")
    raise TypeError(f"unsupported setting type {kind!r}")  # pragma: no cover - declaration bug


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    overrides: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    known = sections()
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        if section not in known:
            problems.append(f"{name}: unknown section {section!r}")
            continue
        overrides.setdefault(section, {})[key] = value
    return overrides, problems


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Reads ``path`` (or only defaults) and the environment into :class:`Settings`.

    Raises :class:`ConfigError` listing every unknown key and wrong type found.
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

    problems: list[str] = []
    known = sections()
    for section in raw:
        if section not in known:
            problems.append(f"[{section}]: unknown section (known: {', '.join(known)})")
        elif not isinstance(raw[section], dict):
            problems.append(f"{section}: expected a table [{section}]")

    env, env_problems = _env_overrides(environ)
    problems += env_problems

    built: dict[str, Any] = {}
    for name, cls in known.items():
        table = raw.get(name) if isinstance(raw.get(name), dict) else {}
        hints = get_type_hints(cls)
        names = {f.name for f in fields(cls)}
        for key in table:
            if key not in names:
                problems.append(f"{name}.{key}: unknown setting")
        for key in env.get(name, {}):
            if key not in names:
                problems.append(f"{ENV_PREFIX}{name.upper()}__{key.upper()}: unknown setting {name}.{key}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            where = f"{name}.{f.name}"
            try:
                if f.name in env.get(name, {}):
                    values[f.name] = _coerce(env[name][f.name], hints[f.name], f"{where} (from {ENV_PREFIX}{name.upper()}__{f.name.upper()})", True)
                elif f.name in table:
                    values[f.name] = _coerce(table[f.name], hints[f.name], where, False)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            # str(Path("")) is ".": an empty path means "use the default place", never resolve it
            if hints[f.name] is Path and f.name in values and str(values[f.name]) not in ("", "."):
                values[f.name] = _resolve(values[f.name], base)
        defaults = cls(**values)
        # Default paths are relative too: resolve them against the same base.
        resolved = {
            f.name: _resolve(getattr(defaults, f.name), base)
            for f in fields(cls)
            if hints[f.name] is Path and str(getattr(defaults, f.name)) not in ("", ".")
        }
        built[name] = dataclasses.replace(defaults, **resolved)

    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) in the configuration", code="CFG-003", problems=problems
        )
    return Settings(**built, source=path)


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

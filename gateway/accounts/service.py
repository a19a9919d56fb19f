"""Provider account operations: the database is the source of truth.

Each change is committed with its audit event, then the account's folder under
``providers/accounts/`` is rewritten from the database (:mod:`gateway.accounts.mirror`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.keys import PublicKey, parse_public_key
from gateway.accounts.mirror import AccountMirror
from gateway.accounts.passwords import hash_password
from gateway.clock import utcnow
from gateway.errors import AccountError, NotFound, UsageError
from gateway.identifiers import PROFESSION_PREFIX, check_provider_code
from gateway.networks import parse_networks
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.accounts import Provider, ProviderKey

PROFESSIONS = tuple(PROFESSION_PREFIX)


@dataclass(frozen=True)
class KeyView:
    """A key as shown to operators."""

    fingerprint: str
    algorithm: str
    bits: int
    comment: str


@dataclass(frozen=True)
class AccountView:
    """A provider account as shown to operators (no secrets)."""

    code: str
    profession: str
    name: str
    enabled: bool
    has_password: bool
    allowed_networks: tuple[str, ...]
    keys: tuple[KeyView, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "profession": self.profession,
            "name": self.name,
            "enabled": self.enabled,
            "has_password": self.has_password,
            "allowed_networks": list(self.allowed_networks),
            "keys": [k.__dict__ for k in self.keys],
        }


def view(provider: Provider) -> AccountView:
    """The operator's view of ``provider``."""
    return AccountView(
        code=provider.code,
        profession=provider.profession,
        name=provider.name,
        enabled=provider.enabled,
        has_password=provider.password_hash is not None,
        allowed_networks=tuple(n for n in provider.allowed_networks.split(",") if n),
        keys=tuple(KeyView(k.fingerprint, k.algorithm, k.bits, k.comment) for k in provider.keys),
    )


def _check_networks(networks: list[str]) -> str:
    try:
        parse_networks(networks)
    except ValueError as exc:
        raise UsageError(f"{exc} (example: 192.0.2.0/24)") from None
    return ",".join(networks)


class Accounts:
    """Creates, changes and reads provider accounts."""

    def __init__(self, sessions: sessionmaker[Session], mirror: AccountMirror, *, actor: str = "system") -> None:
        self._sessions = sessions
        self._mirror = mirror
        self._actor = actor

    # ----------------------------------------------------------------- reading

    def list(self) -> list[AccountView]:
        """Every account, by code."""
        with self._sessions() as session:
            return [view(p) for p in session.scalars(select(Provider).order_by(Provider.code))]

    def get(self, code: str) -> AccountView:
        """One account; raises :class:`NotFound`."""
        with self._sessions() as session:
            return view(self._load(session, code))

    @staticmethod
    def _load(session: Session, code: str) -> Provider:
        provider = session.get(Provider, code)
        if provider is None:
            raise NotFound(f"no provider account {code}", code="ACC-NOT-FOUND", provider=code)
        return provider

    # ----------------------------------------------------------------- changing

    def add(
        self,
        code: str,
        *,
        profession: str,
        name: str,
        keys: Sequence[str] = (),
        password: str | None = None,
        allowed_networks: Sequence[str] = (),
    ) -> AccountView:
        """Creates an account after checking its code against its profession."""
        if profession not in PROFESSIONS:
            raise UsageError(f"profession {profession!r} is not one of {', '.join(PROFESSIONS)}")
        check_provider_code(code, profession)
        if not name.strip() or len(name) > 200:
            raise UsageError("the name must have 1 to 200 characters")
        parsed = [parse_public_key(k) for k in keys]
        password_hash = hash_password(password) if password is not None else None
        networks = _check_networks(list(allowed_networks))
        now = utcnow()
        with transaction(self._sessions) as session:
            if session.get(Provider, code) is not None:
                raise AccountError(f"provider account {code} already exists", code="ACC-EXISTS", provider=code)
            provider = Provider(
                code=code,
                profession=profession,
                name=name.strip(),
                enabled=True,
                password_hash=password_hash,
                allowed_networks=networks,
                created_at=now,
                updated_at=now,
            )
            session.add(provider)
            for key in parsed:
                provider.keys.append(_key_row(key, now))
            audit.record(
                session,
                actor=self._actor,
                action="provider.add",
                target_type="provider",
                target_id=code,
                profession=profession,
                keys=[k.fingerprint for k in parsed],
                password=password_hash is not None,
            )
            session.flush()
            result = view(provider)
        self._mirror.write(result)
        return result

    def set_enabled(self, code: str, enabled: bool, *, reason: str = "", address: str = "") -> AccountView:
        """Enables or disables login for an account; ``reason`` and ``address`` go to the audit trail."""
        detail = {"reason": reason} if reason else {}
        return self._change(
            code,
            "provider.enable" if enabled else "provider.disable",
            lambda p: setattr(p, "enabled", enabled),
            address=address,
            **detail,
        )

    def set_password(self, code: str, password: str | None) -> AccountView:
        """Sets (or with None, removes) an account's password."""
        password_hash = hash_password(password) if password is not None else None
        return self._change(code, "provider.password", lambda p: setattr(p, "password_hash", password_hash))

    def set_allowed_networks(self, code: str, networks: Sequence[str]) -> AccountView:
        """Restricts (or with an empty list, frees) the source addresses of an account."""
        value = _check_networks(list(networks))
        return self._change(
            code, "provider.networks", lambda p: setattr(p, "allowed_networks", value), networks=networks
        )

    def add_key(self, code: str, key_text: str) -> AccountView:
        """Adds a public key; refuses weak keys and a key the account already has."""
        key = parse_public_key(key_text)

        def apply(provider: Provider) -> None:
            if any(k.fingerprint == key.fingerprint for k in provider.keys):
                raise AccountError(f"account {code} already has key {key.fingerprint}", code="ACC-KEY-EXISTS")
            provider.keys.append(_key_row(key, utcnow()))

        return self._change(code, "provider.key.add", apply, fingerprint=key.fingerprint)

    def remove_key(self, code: str, fingerprint: str) -> AccountView:
        """Removes the key with ``fingerprint`` (``SHA256:...``, the prefix may be omitted)."""
        wanted = fingerprint if fingerprint.startswith("SHA256:") else f"SHA256:{fingerprint}"

        def apply(provider: Provider) -> None:
            for key in provider.keys:
                if key.fingerprint == wanted:
                    provider.keys.remove(key)
                    return
            raise NotFound(f"account {code} has no key {wanted}", code="ACC-KEY-NOT-FOUND")

        return self._change(code, "provider.key.remove", apply, fingerprint=wanted)

    def _change(self, code: str, action: str, apply: Callable[[Provider], None], **detail: Any) -> AccountView:
        with transaction(self._sessions) as session:
            provider = self._load(session, code)
            apply(provider)
            provider.updated_at = utcnow()
            audit.record(session, actor=self._actor, action=action, target_type="provider", target_id=code, **detail)
            session.flush()
            result = view(provider)
        self._mirror.write(result)
        return result

    def sync_mirror(self) -> None:
        """Rewrites providers/accounts/ from the database (at start and after repairs)."""
        self._mirror.sync(self.list())


def _key_row(key: PublicKey, now: dt.datetime) -> ProviderKey:
    return ProviderKey(
        fingerprint=key.fingerprint,
        algorithm=key.algorithm,
        bits=key.bits,
        public_key=key.openssh,
        comment=key.comment,
        added_at=now,
    )

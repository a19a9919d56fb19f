"""The providers/accounts/ folder: a read-only picture of the accounts in the database.

The database is the source of truth; each account's folder (``account.json`` and
``authorized_keys``) is derived from it after every change and rewritten in full at start,
so the two cannot disagree for longer than a write. The spool folders of exchange
providers are created here too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.identifiers import EXCHANGE_PROFESSIONS
from gateway.store.files import atomic_write, make_folder

if TYPE_CHECKING:
    from gateway.accounts.service import AccountView

NOTICE = (
    "This folder is generated from the gateway's database. Change accounts with "
    "`gateway providers ...` or the staff interface; edits here are overwritten.\n"
)


class AccountMirror:
    """Writes each account's folder under ``root`` and its spool folders."""

    def __init__(self, root: Path, inbox: Path, outbox: Path) -> None:
        self.root = root
        self.inbox = inbox
        self.outbox = outbox

    def folder(self, code: str) -> Path:
        return self.root / code

    def write(self, account: AccountView) -> None:
        """Writes ``account``'s folder (and its inbox/outbox when it exchanges files)."""
        folder = self.folder(account.code)
        make_folder(folder)
        document = account.as_dict()
        atomic_write(folder / "account.json", (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())
        lines = [f"# {k.algorithm} {k.bits} {k.fingerprint} {k.comment}".rstrip() for k in account.keys]
        atomic_write(folder / "keys.txt", ("\n".join(lines) + "\n" if lines else "").encode())
        if account.profession in EXCHANGE_PROFESSIONS:
            make_folder(self.inbox / account.code)
            make_folder(self.outbox / account.code)

    def sync(self, accounts: list[AccountView]) -> None:
        """Rewrites every folder and removes folders of accounts that no longer exist."""
        make_folder(self.root)
        readme = self.root / "README.txt"
        if not readme.exists() or readme.read_text() != NOTICE:
            atomic_write(readme, NOTICE.encode())
        known = {a.code for a in accounts}
        for account in accounts:
            self.write(account)
        for child in self.root.iterdir():
            if child.is_dir() and child.name not in known:
                shutil.rmtree(child)

    def read(self, code: str) -> dict[str, Any]:
        """The account document as written (for checks)."""
        document: dict[str, Any] = json.loads((self.folder(code) / "account.json").read_text())
        return document

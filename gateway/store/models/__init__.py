"""Database models, one module per area; importing this package registers them all.

Tables and the Alembic branch that creates them:

- ``accounts``: providers, provider_keys (branch ``core``)
- ``audit``: audit_events (branch ``core``)
- ``exchange``: request files, findings, forwarded records (branch ``exchange``)
- ``forwarding``: the outbox of the broker publisher and its status (branch ``exchange``)
- ``intake``: applications, documents, status history, allocated codes (branch ``intake``)
- ``sftp``: shared connection limits and bans (branch ``sftp``)
- ``web``: staff accounts, API keys (branch ``web``)
- ``portal``: providers' portal accounts and sessions (branch ``web``)
"""

from gateway.store.models import accounts, audit, exchange, forwarding, intake, portal, sftp, web  # noqa: F401  (registers tables)
from gateway.store.models.base import Base

__all__ = ["Base"]

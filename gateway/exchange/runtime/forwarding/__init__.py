"""Forwarding accepted records to the back office (spec/exchange.md section 7).

A record's way once its file is checked:

```
processing (final transaction) --> handoff.forward: forwarded_records row, whole (records.py)
                                    + outbox row when a broker is configured (outbox.py)
back office pulls ----------------> records.export_records: `gateway forwarded export`,
                                    GET /api/v1/forwarded (cursor: ids only increase)
publisher role -------------------> publisher.PublisherService: claim outbox rows, publish with
                                    confirms (broker.py: AMQP 0-9-1), mark sent after the confirm
void -----------------------------> handoff.withdraw: unsent rows cancelled, a withdrawal message
                                    for what was already published
```

The modules import no configuration; ``gateway/cli/forwarded.py`` wires them.
"""

from gateway.exchange.runtime.forwarding.handoff import cents, euros, forward, insert_rows, lock_ids, withdraw
from gateway.exchange.runtime.forwarding.records import EXPORT_FORMATS, document, export_records, render_export

__all__ = [
    "EXPORT_FORMATS",
    "cents",
    "document",
    "euros",
    "export_records",
    "forward",
    "insert_rows",
    "lock_ids",
    "render_export",
    "withdraw",
]

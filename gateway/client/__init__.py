"""The provider-side client: make request files, push them, pull and import the responses.

A practice's way, one module per step::

    csvlayout   the documented CSV (one line per act) -> Billing (records grouped by reference)
    builder     Billing + Header -> request XML (lxml), naming per spec section 2
    history     next sequence number; the local database seen as the checks' History
    make        numbering, the same checks as the server, then the file is written
    knownhosts  the gateway's host key against an OpenSSH known-hosts file
    connection  SSH transport: host key, authentication, retries with backoff
    push        upload under a .part name, then rename: the server never sees half a file
    ledger      pushes recorded in the local database
    pull        download responses, check them against the response schema, then delete
    importer    responses -> the provider's local database (idempotent)
    status      what is pending, accepted, rejected
    store       the local database's tables

The local database (``store``) is the provider's own, not the gateway's: it has its own
metadata, created with ``create_all``.
"""

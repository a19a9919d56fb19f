"""The provider-side client: make request files, push them, pull and import the responses.

A practice's way, one module per step::

    csvlayout   the documented CSV (one line per act) -> Billing (records grouped by reference)
    builder     Billing + Header -> request XML (lxml), naming per spec section 2
    make        numbering, the same checks as the server, then the file is written
    connection  SSH transport: known hosts, authentication, retries with backoff
    push        upload under a .part name, then rename: the server never sees half a file
    pull        download responses, check them against the response schema, then delete
    importer    responses -> the provider's local database (idempotent)
    status      what is pending, accepted, rejected

The local database (``store``) is the provider's own, not the gateway's: it has its own
metadata, created with ``create_all``.
"""

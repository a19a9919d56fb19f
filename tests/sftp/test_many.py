"""Many providers uploading at once: every file received, each in its own area."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import os

from sqlalchemy import select

from gateway.store.models.exchange import RequestFile


def test_many_providers_at_once(server, make_provider, sessions):
    providers = [make_provider(p) for p in ("LAB", "LAB", "LAB", "KINE", "KINE", "DIET")]
    payloads = {(p.code, i): os.urandom(2048 + i) for p in providers for i in range(8)}

    def upload(provider) -> None:
        client = server.client(provider)
        for i in range(8):
            client.putfo(io.BytesIO(payloads[provider.code, i]), f"/inbox/f{i}.xml", confirm=False)
        assert sorted(client.listdir("/inbox")) == [f"f{i}.xml" for i in range(8)]
        client.get_channel().get_transport().close()

    with concurrent.futures.ThreadPoolExecutor(len(providers)) as pool:
        list(pool.map(upload, providers))
    with sessions() as session:
        registered = {(r.provider_code, r.name): r.sha256 for r in session.scalars(select(RequestFile))}
    assert registered == {(code, f"f{i}.xml"): hashlib.sha256(data).hexdigest() for (code, i), data in payloads.items()}
    for provider in providers:
        assert sorted(p.name for p in server.inbox(provider.code).iterdir()) == [f"f{i}.xml" for i in range(8)]

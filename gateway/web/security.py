"""Headers every response carries, and who the client really is behind a proxy.

Pages get a strict Content-Security-Policy (our own styles and images only, no script, no
frames, forms only to ourselves). Uploaded documents get their own, sandboxing one
(:data:`DOCUMENT_CSP`), set where they are served.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.networks import contains, parse_address, parse_networks

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: the provider portal's pages: the same, plus its own small script (no inline script) and the
#: JSON it polls, both from ourselves only
PORTAL_CSP = PAGE_CSP + "; script-src 'self'; connect-src 'self'"
#: for documents as received: no script, no plugin, no same origin, nothing loaded
DOCUMENT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_COMMON = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """ASGI middleware adding the common headers, and the page CSP (``csp``) unless one is set."""

    def __init__(self, app: ASGIApp, csp: str = PAGE_CSP) -> None:
        self.app = app
        self._csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _COMMON.items():
                    if name not in present:
                        headers.append((name, value))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self._csp))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrustedProxies:
    """Decides whether a peer is a reverse proxy whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks = parse_networks(networks)

    def trusts(self, address: str) -> bool:
        """True when ``address`` is inside one of the configured networks."""
        return contains(self._networks, address)

    def client_address(self, peer: str, forwarded_for: str | None) -> str:
        """The real client: walking X-Forwarded-For from the right past trusted proxies.

        Only when the peer itself is trusted; a client cannot forge its address by sending
        the header directly, nor by prepending entries (the rightmost untrusted one wins).
        """
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop if _is_ip(hop) else peer
        return hops[0] if hops and _is_ip(hops[0]) else peer

    def scheme(self, peer: str, scheme: str, forwarded_proto: str | None) -> str:
        """``https`` when the connection or a trusted proxy says so."""
        if forwarded_proto and self.trusts(peer):
            return forwarded_proto.split(",")[0].strip().lower()
        return scheme


def _is_ip(text: str) -> bool:
    return parse_address(text) is not None


class ClientAddress:
    """ASGI middleware putting the real client address and scheme into the scope."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            peer = (scope.get("client") or ("", 0))[0]
            address = self.proxies.client_address(peer, headers.get("x-forwarded-for"))
            scope = dict(scope)
            scope["client"] = (address, (scope.get("client") or ("", 0))[1])
            scope["scheme"] = self.proxies.scheme(peer, scope.get("scheme", "http"), headers.get("x-forwarded-proto"))
        await self.app(scope, receive, send)

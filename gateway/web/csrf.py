"""CSRF protection for every form, staff and public alike.

Every form carries ``csrf_token``, an HMAC (server secret) of what the request is bound to:

- with a session (staff or provider portal; complete, or pending its second factor): the SHA-256 of the session
  token, so a token works only with the session it was issued for; a token taken from another
  session (the attacker's own, say) is refused;
- without one (login form, applicant pages): a random per-browser cookie (``gw_csrf``).

Cookies are ``__Host-`` prefixed and Secure over HTTPS (:mod:`gateway.web.cookies`), so a
sibling subdomain cannot toss in a session or CSRF cookie of its choosing together with a
token that matches it; SameSite=Strict keeps them off cross-site requests in the first place.
The REST API uses bearer keys, not cookies, and needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from gateway.web import cookies
from gateway.web.errors import CsrfRefused

FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _binding(request: Request) -> str:
    session_token = cookies.read(request, cookies.session_base(request))
    if session_token:
        return "session|" + hashlib.sha256(session_token.encode()).hexdigest()
    browser = cookies.read(request, cookies.CSRF) or getattr(request.state, "new_csrf_cookie", "")
    return "browser|" + browser if browser else ""


def token(request: Request) -> str:
    """The form token for this request's session (or browser)."""
    binding = _binding(request)
    return (
        hmac.new(request.app.state.web.config.secret, binding.encode(), hashlib.sha256).hexdigest() if binding else ""
    )


def prepare(request: Request) -> None:
    """Before a request: a browser without its CSRF cookie gets one on this response."""
    request.state.new_csrf_cookie = "" if cookies.read(request, cookies.CSRF) else secrets.token_urlsafe(32)


def finish(request: Request, response: Response) -> None:
    """After a request: sets the CSRF cookie chosen by :func:`prepare`, if any."""
    if request.state.new_csrf_cookie:
        cookies.put(response, request, cookies.CSRF, request.state.new_csrf_cookie)


async def check(request: Request) -> None:
    """Raises :class:`CsrfRefused` unless an unsafe request carries the token of its session or browser."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        form = await request.form()
        value = form.get(FIELD, "")
        sent = value if isinstance(value, str) else ""
    # A request that arrived without any cookie has no binding: its token cannot be right.
    bound = cookies.read(request, cookies.session_base(request)) or cookies.read(request, cookies.CSRF)
    expected = token(request) if bound else ""
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise CsrfRefused("the form has expired or did not come from this site; reload the page and try again")

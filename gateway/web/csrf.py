"""CSRF protection for every form, staff and public alike.

Each browser gets a random ``gw_csrf`` cookie (HttpOnly, SameSite=Strict); every form carries
``csrf_token`` = HMAC(server secret, cookie). A POST is accepted only when the field matches
the cookie it was derived from. The secret means a cookie planted by a sibling domain cannot
be paired with a token of the attacker's choosing; SameSite keeps the cookie off cross-site
requests in the first place. The REST API uses bearer keys, not cookies, and needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

from gateway.web.errors import CsrfRefused

COOKIE = "gw_csrf"
FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_cookie_value() -> str:
    """A fresh random value for the CSRF cookie."""
    return secrets.token_urlsafe(32)


def token_for(secret: bytes, cookie_value: str) -> str:
    """The form token that goes with ``cookie_value``."""
    return hmac.new(secret, cookie_value.encode(), hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> str:
    """This browser's CSRF cookie, or the one being set on this response."""
    return request.cookies.get(COOKIE) or request.state.new_csrf_cookie


async def check(request: Request) -> None:
    """Raises :class:`CsrfRefused` unless an unsafe request carries the right token."""
    if request.method not in UNSAFE:
        return
    cookie = request.cookies.get(COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        form = await request.form()
        value = form.get(FIELD, "")
        sent = value if isinstance(value, str) else ""
    expected = token_for(request.app.state.web.config.secret, cookie) if cookie else ""
    if not cookie or not sent or not hmac.compare_digest(sent, expected):
        raise CsrfRefused("the form has expired or did not come from this site; reload the page and try again")

"""Who is asking: staff sessions for pages, API keys for machine clients.

Route dependencies: :func:`staff_member` (any staff), :func:`admin` (admins only),
:func:`api_reader` (any active key), :func:`api_admin` (``admin`` scope). Each raises
:class:`LoginRequired` or :class:`Forbidden`; the app turns those into a redirect to the
login form, a 403 page, or a JSON body.
"""

from __future__ import annotations

from fastapi import Depends, Request

from gateway.store.models.web import ApiScope
from gateway.web import csrf
from gateway.web.app import SESSION_COOKIE, state
from gateway.web.errors import Forbidden, LoginRequired
from gateway.web.staff import ApiClient, StaffView, api_client, session_user


def session_cookie_name(request: Request) -> str:
    """``__Host-`` prefixed over TLS, so the cookie is bound to this host and to HTTPS."""
    return f"__Host-{SESSION_COOKIE}" if request.url.scheme == "https" else SESSION_COOKIE


def session_token(request: Request) -> str:
    """The session token this browser sent, if any."""
    return request.cookies.get(session_cookie_name(request), "")


async def staff_member(request: Request) -> StaffView:
    """The logged-in staff member; also checks the CSRF token of unsafe requests."""
    user = session_user(state(request).sessions, session_token(request), now=state(request).clock.now())
    if user is None:
        raise LoginRequired("please log in")
    request.state.staff = user
    await csrf.check(request)
    return user


async def admin(user: StaffView = Depends(staff_member)) -> StaffView:
    """An admin; agents get 403."""
    if not user.is_admin:
        raise Forbidden("this page is for administrators")
    return user


def api_reader(request: Request) -> ApiClient:
    """The client of a valid ``Authorization: Bearer`` API key (any scope)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    client = api_client(state(request).sessions, key.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        raise LoginRequired("an API key is required: Authorization: Bearer <key>")
    return client


def api_admin(client: ApiClient = Depends(api_reader)) -> ApiClient:
    """A client whose key has the ``admin`` scope."""
    if client.scope != ApiScope.ADMIN:
        raise Forbidden("this operation needs an API key with the admin scope")
    return client

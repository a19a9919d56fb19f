"""Who is asking: staff sessions for pages, API keys for machine clients.

Route dependencies: :func:`staff_member` (any staff with a complete session), :func:`admin`
(admins only), :func:`pending_member` (a session waiting for its second factor),
:func:`api_reader` (any active key), :func:`api_admin` (``admin`` scope). Each raises
:class:`LoginRequired` (or :class:`SecondFactorRequired`) or :class:`Forbidden`; the app
turns those into a redirect to the login or code form, a 403 page, or a JSON body.
"""

from __future__ import annotations

from fastapi import Depends, Request

from gateway.staff_roles import ApiScope
from gateway.web import cookies, csrf
from gateway.web.app import state
from gateway.web.errors import Forbidden, LoginRequired, SecondFactorRequired
from gateway.web.staff import ApiClient, api_client
from gateway.web.staff_sessions import LiveSession, StaffView, resolve


def session_cookie_name(request: Request) -> str:
    """``__Host-`` prefixed over HTTPS, so the cookie is bound to this host and to HTTPS."""
    return cookies.name(request, cookies.SESSION)


def session_token(request: Request) -> str:
    """The session token this browser sent, if any."""
    return cookies.read(request, cookies.SESSION)


def live_session(request: Request) -> LiveSession | None:
    """The session this request came with (complete or pending), looked up once per request."""
    if not hasattr(request.state, "live_session"):
        request.state.live_session = resolve(
            state(request).sessions, session_token(request), now=state(request).clock.now()
        )
    live: LiveSession | None = request.state.live_session
    return live


async def staff_member(request: Request) -> StaffView:
    """The logged-in staff member; also checks the CSRF token of unsafe requests."""
    live = live_session(request)
    if live is None:
        raise LoginRequired("please log in")
    if live.pending:
        raise SecondFactorRequired("please give the code of your second factor")
    request.state.staff = live.user
    await csrf.check(request)
    return live.user


async def pending_member(request: Request) -> LiveSession:
    """A session whose password was checked and whose second factor is still due."""
    live = live_session(request)
    if live is None or not live.pending:
        raise LoginRequired("please log in")
    await csrf.check(request)
    return live


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

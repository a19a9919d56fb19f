"""The web layer's cookies: one place that names them and sets their flags.

When the gateway is served over HTTPS (``web.public_url`` is https, or the connection or a
trusted proxy says so) every cookie is ``Secure`` and its name has the ``__Host-`` prefix:
the browser then accepts it only from this exact host, over HTTPS, for path ``/``, without a
Domain attribute, so a sibling subdomain cannot plant ("toss") one of its own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

SESSION = "gw_session"
CSRF = "gw_csrf"


def session_base(request: Request) -> str:
    """The base name of this application's session cookie: ``gw_session`` for the staff web,
    another for the provider portal (cookies are shared by every port of a host, so two
    applications on one host must not read each other's session cookie)."""
    return getattr(request.app.state, "session_cookie", SESSION)


def secure(request: Request) -> bool:
    """True when the browser talks to us over HTTPS."""
    public_url = request.app.state.web.config.public_url
    return public_url.lower().startswith("https://") or request.url.scheme == "https"


def name(request: Request, base: str) -> str:
    """The cookie's name on this deployment: ``__Host-`` prefixed over HTTPS."""
    return f"__Host-{base}" if secure(request) else base


def read(request: Request, base: str) -> str:
    """The value this browser sent for the cookie, or an empty string."""
    return request.cookies.get(name(request, base), "")


def put(response: Response, request: Request, base: str, value: str, *, max_age: int | None = None) -> None:
    """Sets a cookie: HttpOnly, SameSite=Strict, path ``/``, no Domain; Secure over HTTPS."""
    response.set_cookie(
        name(request, base), value, max_age=max_age, httponly=True, samesite="strict", secure=secure(request), path="/"
    )


def drop(response: Response, request: Request, base: str) -> None:
    """Removes a cookie (with the same flags, so ``__Host-`` cookies are removed too)."""
    response.delete_cookie(name(request, base), path="/", secure=secure(request), httponly=True, samesite="strict")

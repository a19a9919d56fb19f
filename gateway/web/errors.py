"""Refusals of the web layer; the app turns every :class:`GatewayError` into a page or JSON.

Tree (under :class:`gateway.errors.GatewayError`)::

    WebError              WEB-*: HTTP status in ``http_status``
    ├── CsrfRefused       WEB-CSRF (403)
    ├── LoginRequired     WEB-LOGIN (401, pages redirect to the login form)
    │   └── SecondFactorRequired  WEB-2FA-REQUIRED (401, pages redirect to the code form)
    ├── Forbidden         WEB-FORBIDDEN (403): wrong role or scope
    ├── LoginRefused      WEB-LOGIN-REFUSED (401)
    │   ├── AccountLocked         WEB-LOCKED (423)
    │   └── SecondFactorRefused   WEB-2FA-REFUSED (401)
    └── BadInput          WEB-INPUT (400/422)
"""

from __future__ import annotations

from gateway.errors import GatewayError


class WebError(GatewayError):
    """A refusal at the web boundary; ``http_status`` is its HTTP status."""

    code = "WEB-000"
    http_status = 400


class FilterRefused(WebError):
    """A list filter names a value that does not exist (an unknown status, code or provider):
    422 rather than an empty list, which would read as "nothing matches"."""

    code = "WEB-FILTER"
    http_status = 422


class CsrfRefused(WebError):
    """A form without the right CSRF token."""

    code = "WEB-CSRF"
    http_status = 403


class LoginRequired(WebError):
    """No valid staff session or API key."""

    code = "WEB-LOGIN"
    http_status = 401
    #: where a page asked for with GET sends the browser
    login_path = "/login"


class SecondFactorRequired(LoginRequired):
    """The password was right; the second factor (or its enrolment) is still due."""

    code = "WEB-2FA-REQUIRED"
    login_path = "/login/code"


class Forbidden(WebError):
    """Logged in, but the role or scope does not allow this."""

    code = "WEB-FORBIDDEN"
    http_status = 403


class LoginRefused(WebError):
    """Wrong login or password (the message never says which)."""

    code = "WEB-LOGIN-REFUSED"
    http_status = 401


class AccountLocked(LoginRefused):
    """Too many recent failures for this login."""

    code = "WEB-LOCKED"
    http_status = 423


class SecondFactorRefused(LoginRefused):
    """A wrong, expired or already used second-factor or recovery code."""

    code = "WEB-2FA-REFUSED"
    http_status = 401


class BadInput(WebError):
    """A form or query value that cannot be used."""

    code = "WEB-INPUT"
    http_status = 400

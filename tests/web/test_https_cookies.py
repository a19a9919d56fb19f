"""Cookies of a deployment served over HTTPS (``web.public_url`` https): ``__Host-`` names, Secure.

The test client speaks plain HTTP to the server, so its cookie jar would keep Secure cookies
to itself: cookies are handed back by hand, as a browser on HTTPS would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.conftest import AGENT, Site, csrf_of, start_site


@pytest.fixture(scope="module")
def https_site(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site, service = start_site(
        tmp_path_factory.mktemp("https"), module_database_url, public_url="https://gateway.fund.test"
    )
    try:
        yield site
    finally:
        service.stop()
        site.engine.dispose()


def _set_cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


def _value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def test_cookies_are_host_prefixed_and_secure(https_site):
    with https_site.client() as client:
        form = client.get("/login")
        csrf_cookie = _set_cookies(form)["__Host-gw_csrf"]
        assert "gw_csrf" not in _set_cookies(form)
        for flag in ("Secure", "HttpOnly", "Path=/", "SameSite=strict"):
            assert flag in csrf_cookie
        assert "Domain" not in csrf_cookie
        client.cookies.clear()
        response = client.post(
            "/login",
            data={"login": AGENT[0], "password": AGENT[1], "csrf_token": csrf_of(form.text)},
            headers={"Cookie": f"__Host-gw_csrf={_value(csrf_cookie)}"},
        )
        assert response.status_code == 303
        session_cookie = _set_cookies(response)["__Host-gw_session"]
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "Domain" not in session_cookie
        token = _value(session_cookie)
        assert client.get("/dashboard", headers={"Cookie": f"__Host-gw_session={token}"}).status_code == 200
        # A cookie without the prefix (what a sibling subdomain can set) is not read.
        assert client.get("/dashboard", headers={"Cookie": f"gw_session={token}"}).status_code == 303


def test_a_csrf_cookie_without_the_prefix_is_not_read(https_site):
    with https_site.client() as client:
        form = client.get("/login")
        value = _value(_set_cookies(form)["__Host-gw_csrf"])
        client.cookies.clear()
        # The same value and its token, but under the name a sibling subdomain could toss in.
        response = client.post(
            "/login",
            data={"login": AGENT[0], "password": AGENT[1], "csrf_token": csrf_of(form.text)},
            headers={"Cookie": f"gw_csrf={value}"},
        )
    assert response.status_code == 403

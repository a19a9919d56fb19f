"""Logging staff in through the real pages, second factor included, as a browser would.

Codes come from pyotp with the secret the enrolment page showed or, for a member enrolled
earlier, the secret read from the database and decrypted with the site's web secret. The
server accepts each 30-second step once per member, so :func:`next_code` picks the first step
after the last one accepted and waits when the next step (the last inside the accepted drift)
is taken already.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pyotp
from sqlalchemy import select

from gateway.store.models.web import StaffUser
from gateway.web.second_factor import DRIFT_STEPS, SecretBox
from tests.support import wait_until

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
RECOVERY_CODES = re.compile(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>")


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def secret_on_page(html: str) -> str:
    """The TOTP secret an enrolment page shows for typing by hand."""
    match = SECRET_ON_PAGE.search(html)
    assert match, "no TOTP secret on the enrolment page"
    return match.group(1).replace(" ", "")


def stored_secret(site, login: str) -> str:
    """A member's TOTP secret, read from the database and decrypted with the site's web secret."""
    with site.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.login == login))
        secret = SecretBox(site.config.secret).open(user.totp_secret, user.id)
    assert secret, f"{login} has no readable TOTP secret"
    return secret


def next_code(site, login: str, secret: str) -> str:
    """A code the server will accept now: of a step later than the last one it accepted."""
    totp = pyotp.TOTP(secret)

    def usable_step() -> int | None:
        with site.sessions() as session:
            last = session.scalar(select(StaffUser.totp_last_step).where(StaffUser.login == login))
        current = totp.timecode(dt.datetime.now(dt.UTC))
        # The current step or the next one: both stay good for at least 30 s, so a code never
        # expires between here and the server (the previous step could, at a boundary).
        step = current if last is None else max(current, last + 1)
        return step if step <= current + DRIFT_STEPS else None

    step = wait_until(usable_step, timeout_s=65, interval_s=0.5)  # at most one step (30 s) of waiting
    return totp.generate_otp(step)


def enrol(client: httpx.Client, site, login: str, next_path: str = "/dashboard") -> tuple[str, list[str]]:
    """Completes the enrolment a pending login was sent to; returns (secret, recovery codes)."""
    page = client.get(f"/login/enrol?next={next_path}")
    assert page.status_code == 200, page.text
    secret = secret_on_page(page.text)
    done = client.post(
        "/login/enrol",
        data={"csrf_token": csrf_of(page.text), "next": next_path, "code": next_code(site, login, secret)},
    )
    assert done.status_code == 200, done.text
    return secret, RECOVERY_CODES.findall(done.text)


def log_in_fully(client: httpx.Client, site, login: str, password: str) -> None:
    """Password, then the second factor (enrolling first when the role needs it and none is set)."""
    form = client.get("/login")
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_of(form.text), "next": "/dashboard"}
    )
    assert response.status_code == 303, response.text
    if not response.headers["location"].startswith("/login/code"):
        return
    page = client.get(response.headers["location"])
    if page.status_code == 303:  # not enrolled yet: the role requires it
        enrol(client, site, login)
        return
    done = client.post(
        "/login/code",
        data={
            "csrf_token": csrf_of(page.text),
            "next": "/dashboard",
            "code": next_code(site, login, stored_secret(site, login)),
        },
    )
    assert done.status_code == 303, done.text


def start_login(client: httpx.Client, login: str, password: str, next_path: str = "/dashboard") -> httpx.Response:
    """Posts the login form (the password step) and returns the answer."""
    form = client.get("/login")
    return client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_of(form.text), "next": next_path}
    )


def send_code(client: httpx.Client, code: str, *, recovery: bool = False) -> httpx.Response:
    """Posts the code form of a pending login (a TOTP code, or a recovery code)."""
    page = client.get("/login/code")
    assert page.status_code == 200, page.text
    field = "recovery_code" if recovery else "code"
    return client.post("/login/code", data={"csrf_token": csrf_of(page.text), "next": "/dashboard", field: code})

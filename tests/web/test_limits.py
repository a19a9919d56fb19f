"""Request bodies over their route's limit are refused before they are read.

The large-body test runs ``gateway serve --role web`` as its own process, sends 50 MB bodies
over a raw socket (declared with Content-Length, and chunked) and reads the web process's
peak resident size from /proc: the refusals must not make it grow.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.web.limits import BodyLimits
from tests.support import GATEWAY, clean_env, free_port, wait_until
from tests.web.applicant import Applicant
from tests.web.conftest import csrf_of, new_address

MB = 1024 * 1024
BIG = 50 * MB
#: what 50 MB of refused bodies may add to the web process's peak resident size
RSS_BOUND = 50 * MB


# --------------------------------------------------------------------------- raw HTTP


def _form_chunks(total: int) -> Iterator[bytes]:
    """A url-encoded form of many fields just under Starlette's own 1 MiB field limit."""
    field = b"f=" + b"x" * (MB - 16) + b"&"
    sent = 0
    while sent < total:
        piece = field[: total - sent]
        sent += len(piece)
        yield piece


def _multipart_chunks(total: int, boundary: bytes) -> Iterator[bytes]:
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n"
    )
    tail = b"\r\n--" + boundary + b"--\r\n"
    yield head
    remaining = total - len(head) - len(tail)
    block = b"%PDF" + b"0" * (MB - 4)
    while remaining > 0:
        piece = block[:remaining]
        remaining -= len(piece)
        yield piece
    yield tail


def post_raw(port: int, path: str, content_type: str, chunks: Iterator[bytes], total: int, *, chunked: bool) -> int:
    """POSTs a body as it streams (never held whole in memory); returns the response status.

    The body is sent by a second thread while this one waits for the answer, and the whole
    body is sent even after the answer came, as a hostile client would (unless the server
    closes the connection).
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def send_body() -> None:
        try:
            for chunk in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and stopped reading: what is being tested

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        sender.join(timeout=120)
    finally:
        sock.close()
    match = re.match(rb"HTTP/1\.[01] (\d{3})", received)
    assert match, f"no HTTP response to {path}: {received[:200]!r}"
    return int(match.group(1))


# --------------------------------------------------------------------------- memory of a process tree


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(p) for p in (task / "children").read_text().split()]
    return pids


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> int:
    """Resets the peak resident size of the process and its children; returns their sum now."""
    total = 0
    for p in _tree(pid):
        Path(f"/proc/{p}/clear_refs").write_text("5")  # VmHWM := VmRSS
        total += _status_kb(p, "VmRSS")
    return total


def peak(pid: int) -> int:
    """The summed peak resident size of the process and its children since :func:`reset_peak`."""
    return sum(_status_kb(p, "VmHWM") for p in _tree(pid))


# --------------------------------------------------------------------------- tests


@pytest.fixture
def web_process(project, engine) -> Iterator[tuple[int, subprocess.Popen]]:
    """``gateway serve --role web`` on a free port, as an operator runs it."""
    port = free_port()
    project.write_config(project.config.read_text() + f"[web]\nport = {port}\n")
    process = subprocess.Popen(
        [GATEWAY, "serve", "--role", "web", "--config", str(project.config)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout_s=60, interval_s=0.2)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_50_mb_bodies_are_refused_before_they_are_read(web_process):
    port, process = web_process
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/demande")
        created = client.post("/demande", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert created.status_code == 303, created.text
        followup = created.headers["location"].split("?")[0]
        client.get("/login")  # every page once, so the baseline holds what serving them costs
        client.get(followup)

    baseline = reset_peak(process.pid)
    boundary = b"limits-test-boundary"
    multipart = f"multipart/form-data; boundary={boundary.decode()}"
    form = "application/x-www-form-urlencoded"
    statuses = {}
    for path, content_type, chunks in (
        ("/login", form, lambda: _form_chunks(BIG)),
        ("/demande", form, lambda: _form_chunks(BIG)),
        ("/demande", multipart, lambda: _multipart_chunks(BIG, boundary)),
        (f"{followup}/data", form, lambda: _form_chunks(BIG)),
        (f"{followup}/documents", multipart, lambda: _multipart_chunks(BIG, boundary)),
    ):
        for chunked in (False, True):
            status = post_raw(port, path, content_type, chunks(), BIG, chunked=chunked)
            statuses[(path, content_type.split(";")[0], "chunked" if chunked else "length")] = status
    grown = peak(process.pid) - baseline

    upload_chunked = (f"{followup}/documents", "multipart/form-data", "chunked")
    assert statuses.pop(upload_chunked) == 411  # an upload must declare its length (browsers do)
    assert set(statuses.values()) == {413}, statuses
    assert grown < RSS_BOUND, f"the web process grew by {grown / MB:.1f} MB"
    assert process.poll() is None


def test_a_form_over_the_form_limit_is_refused_with_its_code(site):
    limits = BodyLimits(site.config.max_form_bytes)
    with site.client(address=new_address()) as client:
        page = client.get("/login")
        response = client.post("/login", data={"csrf_token": csrf_of(page.text), "login": "x" * limits.form_bytes})
    assert response.status_code == 413
    assert "WEB-BODY-TOO-LARGE" in response.text and "trop volumineuse" in response.text


def test_a_chunked_form_is_counted_as_it_streams(site):
    def chunks() -> Iterator[bytes]:  # a generator body is sent chunked, without Content-Length
        yield b"csrf_token=x&login=y"
        for n in range(200):  # fields under the field limit, so only the whole body's count can refuse
            yield b"&f%d=" % n + b"y" * 1024

    with site.client(address=new_address()) as client:
        client.get("/login")
        response = client.post(
            "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert response.status_code == 413 and "WEB-BODY-TOO-LARGE" in response.text


def test_a_large_field_in_an_upload_form_is_refused(site):
    applicant = Applicant(site)
    applicant.create()
    token = csrf_of(applicant.page().text)
    response = applicant.client.post(
        f"{applicant.link}/documents",
        data={"csrf_token": token, "kind": "k" * (site.config.max_field_bytes + 1)},
        files={"file": ("rib.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert response.status_code == 413 and "WEB-FIELD-TOO-LARGE" in response.text
    assert site.applications.by_followup(applicant.token).documents == ()


def test_a_json_body_over_the_limit_gets_413_not_a_parse_error(site):
    def chunks() -> Iterator[bytes]:
        yield b'{"public_key": "'
        for _ in range(100):
            yield b"A" * 1024
        yield b'"}'

    with site.client() as client:
        response = client.post(
            "/api/v1/providers/45001237/keys",
            content=chunks(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "WEB-BODY-TOO-LARGE"


def test_forms_and_uploads_within_the_limits_still_work(site):
    applicant = Applicant(site)
    assert applicant.create(establishment_name="é" * 100).status_code == 303
    page = applicant.upload("rib", "rib.pdf", b"%PDF-1.4\n" + b"0" * (3 * MB // 2))
    assert "upload-result" in page.text

"""First-page previews: real PDFs of odd shapes give small PNGs; broken input is an error; a page
too costly to draw stops its worker process and gets a placeholder, while the gateway answers."""

from __future__ import annotations

import datetime as dt
import signal
import struct
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF

from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.isolation import MIB, Isolation, WorkLimits
from gateway.store.db import transaction
from gateway.store.models.intake import ApplicationDocument
from gateway.store.models.web import StaffUser
from gateway.web.app import SESSION_COOKIE
from gateway.web.staff import add_staff
from gateway.web.staff_sessions import open_session
from gateway.web.thumbnails import MAX_HEIGHT, WIDTH, ThumbnailError, first_page_png, placeholder_png
from tests.intake.documents import samples as s
from tests.support import GATEWAY, clean_env, free_port, wait_until


def _pdf(width_mm: float, height_mm: float) -> bytes:
    document = FPDF(format=(width_mm, height_mm))
    document.add_page()
    return bytes(document.output())


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(
    "width_mm,height_mm,expected_width",
    [
        pytest.param(210, 297, WIDTH, id="a4"),
        pytest.param(30, 20, WIDTH, id="tiny-page-scaled-up"),
        pytest.param(200, 5000, None, id="very-tall-page-bounded"),
    ],
)
def test_preview_sizes(width_mm, height_mm, expected_width):
    width, height = _size(first_page_png(_pdf(width_mm, height_mm)))
    assert height <= MAX_HEIGHT + 1
    if expected_width:
        assert abs(width - expected_width) <= 2


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.4\n%%EOF", id="no-pages"),
        pytest.param(b"not a pdf at all", id="garbage"),
    ],
)
def test_unreadable_input_is_an_error(data):
    with pytest.raises(ThumbnailError):
        first_page_png(data)


# --------------------------------------------------------------------------- costly pages


def _high_water_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_page_too_costly_to_draw_stops_the_worker_not_the_caller():
    # 4^11 copies of a form: pdfium alone would need about 7.7 GB. The worker hits its
    # 512 MiB address space and dies; this process does not grow.
    isolation = Isolation(WorkLimits(memory_bytes=512 * MIB, wall_seconds=60), workers=1)
    try:
        before = _high_water_kib()
        with pytest.raises(ThumbnailError):
            first_page_png(s.fanout_forms(12), isolation=isolation)
        assert _high_water_kib() - before < 50 * 1024
        assert abs(_size(first_page_png(_pdf(210, 297), isolation=isolation))[0] - WIDTH) <= 2  # a fresh worker
    finally:
        isolation.close()


def test_a_page_that_draws_too_long_is_stopped_by_cpu_time():
    isolation = Isolation(WorkLimits(memory_bytes=4096 * MIB, cpu_seconds=1, wall_seconds=60), workers=1)
    try:
        with pytest.raises(ThumbnailError, match="CPU time"):
            first_page_png(s.fanout_forms(11), isolation=isolation)
    finally:
        isolation.close()


def test_placeholder_is_a_page_shaped_png():
    width, height = _size(placeholder_png())
    assert (width, height) == (WIDTH, round(WIDTH * 297 / 210))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo.extend(int(p) for p in (task / "children").read_text().split())
    return found


def _gateway_high_water_kib(pid: int) -> int:
    """The highest VmHWM among the gateway's processes, document workers excepted."""
    peaks = []
    for member in _tree(pid):
        try:
            if b"gateway.isolation.worker" in Path(f"/proc/{member}/cmdline").read_bytes():
                continue
            peaks.append(_high_water_kib(member))
        except FileNotFoundError:  # ended meanwhile
            continue
    return max(peaks)


#: the gateway's web role runs in about 150 MiB; the costly page alone would take it past 7 GB
GATEWAY_CEILING_KIB = 400 * 1024


def test_gateway_keeps_answering_and_its_memory_bounded_while_a_costly_page_is_previewed(project, sessions):
    settings = project.settings()
    applications = Applications(
        sessions,
        dossier=Dossier(project.root / settings.applications_path),
        max_document_bytes=settings.intake.max_document_bytes,
        followup_days_after_close=settings.intake.followup_days_after_close,
    )
    reference = applications.create(actor="cli", channel="paper").application.reference
    plain = applications.attach_document(
        reference, data=_pdf(210, 297), name="fiche.pdf", kind="fiche_renseignement", actor="cli", by_staff=True
    )
    costly = applications.attach_document(
        reference, data=_pdf(210, 297), name="plan.pdf", kind="statuts", actor="cli", by_staff=True
    )
    assert plain.accepted and costly.accepted
    # The check is bypassed: the costly file is written straight into the dossier.
    dossier = Dossier(project.root / settings.applications_path)
    with sessions() as session:
        stored = session.get(ApplicationDocument, costly.id).stored_name
    dossier.path(reference, stored).write_bytes(s.fanout_forms(12))
    staff = add_staff(sessions, "carla", "agent", "agent-password-789")
    with transaction(sessions) as session:  # an agent needs no second factor: a complete session
        token = open_session(
            session,
            session.get(StaffUser, staff.id),
            pending=False,
            address="127.0.0.1",
            user_agent="test",
            max_age=3600,
            now=dt.datetime.now(dt.UTC),
        )

    port = free_port()
    env = clean_env({"GATEWAY_WEB__PORT": str(port), "GATEWAY_INTAKE__DOCUMENT_MEMORY_BYTES": str(512 * MIB)})
    process = subprocess.Popen(
        [GATEWAY, "serve", "--role", "web", "--config", str(project.config)],
        env=env,
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base), timeout_s=60, interval_s=0.2)
        with httpx.Client(base_url=base, timeout=120, cookies={SESSION_COOKIE: token}) as client:
            url = f"/applications/{reference}/documents/{{}}/thumbnail.png"
            warm = client.get(url.format(plain.id))  # starts the worker; the gateway at rest
            assert warm.status_code == 200 and "x-preview" not in warm.headers
            rest_kib = _gateway_high_water_kib(process.pid)

            answers: list[int] = []
            done = threading.Event()

            def poll_health() -> None:
                with httpx.Client(base_url=base, timeout=5) as health:
                    while not done.is_set():
                        try:
                            answers.append(health.get("/healthz").status_code)
                        except httpx.HTTPError:
                            answers.append(0)
                        done.wait(0.1)

            poller = threading.Thread(target=poll_health)
            poller.start()
            try:
                preview = client.get(url.format(costly.id))
            finally:
                done.set()
                poller.join()
            assert preview.status_code == 200 and preview.headers["x-preview"] == "placeholder"
            assert preview.content == placeholder_png()
            assert len(answers) >= 2 and set(answers) == {200}, answers
            peak_kib = _gateway_high_water_kib(process.pid)
            assert peak_kib < GATEWAY_CEILING_KIB, f"gateway peaked at {peak_kib // 1024} MiB (rest {rest_kib // 1024})"
            again = client.get(url.format(plain.id))  # a fresh worker took over
            assert again.status_code == 200 and "x-preview" not in again.headers
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

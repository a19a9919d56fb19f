"""The dashboard: files per convention and status, timings, rejections, applications, charts."""

from __future__ import annotations

from typing import TypedDict

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gateway.web import charts, i18n, stats
from gateway.web.app import render, state
from gateway.web.auth import staff_member
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
CHART_DAYS = 30


class Window(TypedDict):
    """The figures of one window of days on the dashboard."""

    days: int
    counts: dict[tuple[str, str], int]
    timings: stats.Timings


@router.get("/dashboard")
def dashboard(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    now, tz = web.clock.now(), web.config.timezone
    with web.sessions() as session:
        windows: list[Window] = []
        for days in stats.WINDOWS:
            since = stats.window_start(now, days, tz)
            windows.append(
                {
                    "days": days,
                    "counts": stats.files_by_convention_status(session, since),
                    "timings": stats.timings(session, since),
                }
            )
        since30 = stats.window_start(now, 30, tz)
        rejections = stats.rejections_by_code(session, since30)
        unanswered = stats.unanswered(session)
    applications = web.applications.count_by_status() if web.applications is not None else {}
    conventions = sorted({c for w in windows for c, _ in w["counts"]})
    statuses = sorted({s for w in windows for _, s in w["counts"]})
    return render(
        request,
        "dashboard.html",
        windows=windows,
        conventions=conventions,
        statuses=statuses,
        rejections=rejections,
        applications=applications,
        unanswered=unanswered,
    )


def _svg(content: str) -> Response:
    return Response(content, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/dashboard/files-per-day.svg")
def files_chart(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    with web.sessions() as session:
        days = stats.per_day(session, web.clock.now(), CHART_DAYS, web.config.timezone)
    t = i18n.translator(i18n.language_of(request))
    return _svg(
        charts.bar_chart(t("dash.chart_files"), [d.day.strftime("%d/%m") for d in days], [d.files for d in days])
    )


@router.get("/dashboard/rejection-rate.svg")
def rejection_chart(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    with web.sessions() as session:
        days = stats.per_day(session, web.clock.now(), CHART_DAYS, web.config.timezone)
    t = i18n.translator(i18n.language_of(request))
    return _svg(
        charts.rate_chart(
            t("dash.chart_rejections"), [d.day.strftime("%d/%m") for d in days], [d.rejection_rate for d in days]
        )
    )

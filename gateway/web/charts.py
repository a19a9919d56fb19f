"""Small charts drawn on the server as SVG (served as images: no script, no third party).

Labels are escaped with :func:`xml.sax.saxutils.escape`; the figures are numbers we made.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 36


def _frame(title: str, body: list[str], y_labels: list[tuple[float, str]]) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for fraction, label in y_labels:
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbe3"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5563">{escape(label)}</text>')
    parts += body
    parts.append("</svg>")
    return "".join(parts)


def _x_labels(labels: Sequence[str], step_w: float) -> list[str]:
    every = max(1, len(labels) // 10)
    return [
        f'<text x="{LEFT + step_w * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
        f'fill="#4a5563">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0 or i == len(labels) - 1
    ]


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """Vertical bars, one per label (files per day)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([*values, 1])
    step_w = plot_w / max(1, len(values))
    body = []
    for i, value in enumerate(values):
        h = plot_h * value / top
        body.append(
            f'<rect x="{LEFT + step_w * i + 1:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(1.0, step_w - 2):.1f}" '
            f'height="{h:.1f}" fill="#0b4f8a"><title>{escape(labels[i])}: {value}</title></rect>'
        )
    body += _x_labels(labels, step_w)
    return _frame(title, body, [(0, "0"), (0.5, f"{top / 2:g}"), (1, str(top))])


def rate_chart(title: str, labels: Sequence[str], rates: Sequence[float | None]) -> str:
    """A line of percentages (rejection rate per day); days without files leave a gap."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step_w = plot_w / max(1, len(rates))
    body: list[str] = []
    segment: list[str] = []

    def flush() -> None:
        if len(segment) > 1:
            body.append(f'<polyline fill="none" stroke="#a31515" stroke-width="2" points="{" ".join(segment)}"/>')
        segment.clear()

    for i, rate in enumerate(rates):
        if rate is None:
            flush()
            continue
        x, y = LEFT + step_w * (i + 0.5), TOP + plot_h * (1 - rate)
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#a31515"><title>{escape(labels[i])}: '
            f"{rate * 100:.0f} %</title></circle>"
        )
    flush()
    body += _x_labels(labels, step_w)
    return _frame(title, body, [(0, "0 %"), (0.5, "50 %"), (1, "100 %")])

"""Charts drawn as SVG on the server: no script, no library, no network.

Colours come from the stylesheet (classes, not inline styles, for the CSP). Every text
that reaches the markup goes through format_html, so nothing untrusted can become markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def number(value: int | float) -> str:
    return number_format(value, force_grouping=True)


def _n(value: float) -> str:
    """A coordinate, short: one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")


def nice_step(largest: float, steps: int = 4) -> int:
    """A round step (1, 2, 5 x 10^n) so that `steps` of them reach at least `largest`."""
    raw = max(largest / steps, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw and float(factor * power).is_integer():
            return int(factor * power)
    return int(10 * power)


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    labels: int  # how many labels the x axis has room for


WIDE = Size(960, 300, 12)
NARROW = Size(360, 240, 5)
TOP, BOTTOM, RIGHT = 14, 30, 10


@dataclass(frozen=True)
class Point:
    label: str  # on the x axis
    title: str  # the tooltip, one line
    views: int | None
    visitors: int | None
    prev_views: int | None = None


def _path(coords: list[tuple[float, float] | None]) -> str:
    """An SVG path through the points; a None (the future) lifts the pen."""
    parts, pen_down = [], False
    for xy in coords:
        if xy is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{_n(xy[0])} {_n(xy[1])}")
        pen_down = True
    return " ".join(parts)


def line_chart(points: list[Point], *, label: str, size: Size = WIDE) -> SafeString:
    """Views and visitors as lines (the previous period faint behind), one tooltip a point."""
    values = [v for p in points for v in (p.views, p.visitors, p.prev_views) if v is not None]
    step = nice_step(max(values, default=0))
    top_value = step * 4
    left = 16 + 8 * len(number(top_value))
    plot_w, plot_h = size.width - left - RIGHT, size.height - TOP - BOTTOM
    n = max(len(points), 1)
    band = plot_w / n

    def x(i: int) -> float:
        return left + band * (i + 0.5)

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / top_value)

    def coords(attr: str) -> list[tuple[float, float] | None]:
        return [
            None if getattr(p, attr) is None else (x(i), y(getattr(p, attr)))
            for i, p in enumerate(points)
        ]

    grid = format_html_join(
        "",
        '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart__axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (left, size.width - RIGHT, f"{y(k * step):.1f}", f"{y(k * step):.1f}", left - 6,
             f"{y(k * step) + 4:.1f}", number(k * step))
            for k in range(5)
        ),
    )  # fmt: skip
    every = max(1, math.ceil(n / size.labels))
    x_labels = format_html_join(
        "",
        '<text class="chart__axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((f"{x(i):.1f}", size.height - 9, p.label) for i, p in enumerate(points) if i % every == 0),
    )
    views = coords("views")
    drawn = [xy for xy in views if xy is not None]
    area = ""
    if len(drawn) > 1:  # only the future is missing, so the drawn points are contiguous
        area = format_html(
            '<path class="chart__area" d="{} L{} {} L{} {} Z"/>',
            _path(drawn), _n(drawn[-1][0]), _n(y(0)), _n(drawn[0][0]), _n(y(0)),
        )  # fmt: skip
    lines = format_html(
        '<path class="chart__line chart__line--previous" d="{}"/>{}'
        '<path class="chart__line chart__line--visitors" d="{}"/>'
        '<path class="chart__line chart__line--views" d="{}"/>',
        _path(coords("prev_views")), area, _path(coords("visitors")), _path(views),
    )  # fmt: skip
    hits = format_html_join(
        "",
        '<g class="chart__point"><title>{}</title>'
        '<rect class="chart__hit" x="{}" y="{}" width="{}" height="{}"/>{}</g>',
        (
            (p.title, _n(x(i) - band / 2), TOP, _n(band), _n(plot_h), _dots(x(i), p, y))
            for i, p in enumerate(points)
        ),
    )
    return format_html(
        '<svg class="chart chart--{}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'focusable="false">{}{}{}{}</svg>',
        "wide" if size is WIDE else "narrow", size.width, size.height, label,
        grid, x_labels, lines, hits,
    )  # fmt: skip


def _dots(cx: float, point: Point, y) -> SafeString:
    parts = [
        format_html(
            '<circle class="chart__dot chart__dot--{}" cx="{}" cy="{}" r="4"/>',
            name,
            _n(cx),
            _n(y(value)),
        )  # fmt: skip
        for name, value in (("visitors", point.visitors), ("views", point.views))
        if value is not None
    ]
    return mark_safe("".join(parts))  # noqa: S308 - each part built by format_html


def bar(share: int, title: str) -> SafeString:
    """A small horizontal bar for a row of a top list; the row's numbers say it in words."""
    share = max(0, min(100, int(share)))
    return format_html(
        '<svg class="bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true" '
        'focusable="false"><title>{}</title><rect class="bar__fill" width="{}" height="4"/></svg>',
        title,
        max(share, 1) if share else 0,
    )


def column_chart(columns: list[tuple[str, str, int]], *, label: str) -> SafeString:
    """Columns for counts by day (label, tooltip, value): new followers."""
    width, height, bottom = 720, 120, 4
    top_value = max((c[2] for c in columns), default=0) or 1
    n = max(len(columns), 1)
    band = width / n
    gap = band * 0.3
    bars = format_html_join(
        "",
        '<g class="chart__point"><title>{}</title>'
        '<rect class="chart__hit" x="{}" y="0" width="{}" height="{}"/>'
        '<rect class="chart__column" x="{}" y="{}" width="{}" height="{}"/></g>',
        (
            (title, _n(i * band), _n(band), height, _n(i * band + gap / 2),
             _n(height - bottom - (height - bottom - 4) * value / top_value), _n(band - gap),
             _n((height - bottom - 4) * value / top_value))
            for i, (_label, title, value) in enumerate(columns)
        ),
    )  # fmt: skip
    return format_html(
        '<svg class="chart chart--columns" viewBox="0 0 {} {}" preserveAspectRatio="none" '
        'role="img" aria-label="{}" focusable="false">'
        '<line class="chart__grid" x1="0" x2="{}" y1="{}" y2="{}"/>{}</svg>',
        width, height, label, width, height - bottom, height - bottom, bars,
    )  # fmt: skip

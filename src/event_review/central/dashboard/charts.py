"""Dashboard charts as SVG, drawn by pygal on the server.

Pure functions from numbers to SVG bytes: no database, no request. The SVGs
carry no scripts (pygal's tooltip scripts are left out), so a browser shows
them as plain images under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pygal  # type: ignore[import-untyped]  # pygal ships no type information
from pygal.style import Style  # type: ignore[import-untyped]

# The web client's palette (app.css), so the charts sit calmly in the page.
_STYLE_OPTIONS: dict[str, object] = {
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#475467",
    "foreground_strong": "#1d2939",
    "foreground_subtle": "#eaecf0",
    "guide_stroke_color": "#eaecf0",
    "major_guide_stroke_color": "#d0d5dd",
    "colors": ("#2e6bd9", "#0e9384", "#dc6803", "#7a5af8", "#c11574", "#667085"),
    "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "label_font_size": 12,
    "major_label_font_size": 12,
    "legend_font_size": 12,
    "title_font_size": 14,
    "no_data_font_size": 16,
    "opacity": ".85",
    "opacity_hover": ".95",
    "transition": "none",
}
_BARS = Style(**_STYLE_OPTIONS)
# Average in the accent blue, slowest in amber: the one to worry about stands out.
_LINES = Style(**{**_STYLE_OPTIONS, "colors": ("#2e6bd9", "#dc6803"), "stroke_width": "2.2"})

WIDTH, HEIGHT = 620, 280


def _without_scripts(root: Any) -> Any:
    """pygal writes its config into a <script> even when told to load no JS; drop it,
    and the comments (links to pygal's site) with it: the image refers to nothing."""
    for parent in list(root.iter()):
        for child in list(parent):
            comment = not isinstance(child.tag, str)
            if comment or child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _config(style: Any) -> dict[str, object]:
    return {
        "style": style,
        "width": WIDTH,
        "height": HEIGHT,
        # No scripts at all: the page's CSP allows none (an <img> would run none anyway).
        "js": [],
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 6,
        "margin": 12,
        # pygal sizes its legend for its own default font; leave room for ours.
        "margin_bottom": 28,
        "show_minor_x_labels": False,
        "truncate_legend": -1,
        "truncate_label": -1,
        "include_x_axis": True,
        "print_values": False,
    }


def _labels(hours: Sequence[datetime]) -> tuple[list[str], list[str]]:
    """About eight hour labels; over more than a day, one date a day ("14:00" alone
    would be ambiguous). The last hour is always labelled: it is the one people look
    at. Unlabelled hours get an empty label, since pygal matches labels by text."""
    fmt, every = ("%d %b", 24) if len(hours) > 24 else ("%H:00", max(1, len(hours) // 8))
    last = len(hours) - 1
    labels = [h.strftime(fmt) if (last - i) % every == 0 else "" for i, h in enumerate(hours)]
    return labels, [label for label in labels if label]


def _render(chart: Any) -> bytes:
    svg: str = chart.render()  # a str: disable_xml_declaration makes pygal decode it
    return svg.encode()


def reviews_per_hour(hours: Sequence[datetime], by_region: Mapping[str, Sequence[int]]) -> bytes:
    """A stacked bar per hour (UTC), one colour per region."""
    chart = pygal.StackedBar(
        **_config(_BARS),
        title="Reviews per hour (UTC)",
        no_data_text="No regions to show",
        min_scale=2,
        max_scale=6,
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels, chart.x_labels_major = _labels(hours)
    for region, counts in by_region.items():
        chart.add(region.upper(), list(counts))
    return _render(chart)


def writeback_lag(
    hours: Sequence[datetime],
    average_seconds: Sequence[float | None],
    max_seconds: Sequence[float | None],
) -> bytes:
    """Average and worst time from review to the region's confirmation, per hour (UTC).

    Hours without a delivery are gaps, not zeros: no delivery is not a fast one.
    """
    chart = pygal.Line(
        **_config(_LINES),
        title="Write-back lag per hour (seconds, UTC)",
        no_data_text="No write-backs delivered yet",
        allow_interruptions=True,
        show_dots=True,
        dots_size=3,
        min_scale=2,
        max_scale=6,
        value_formatter=lambda v: f"{v:.1f} s",
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels, chart.x_labels_major = _labels(hours)
    if any(v is not None for v in max_seconds):
        chart.add("average", list(average_seconds))
        chart.add("slowest", list(max_seconds))
    return _render(chart)

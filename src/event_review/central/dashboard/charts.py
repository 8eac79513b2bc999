"""Dashboard charts as SVG, drawn by pygal on the server.

Pure functions from numbers to SVG bytes: no database, no request. The look and
the script-free rendering are the platform's (`central/charts.py`), so a browser
shows them as plain images under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pygal  # type: ignore[import-untyped]  # pygal ships no type information

from event_review.central.charts import BARS, config, render, style

# Average in the accent blue, slowest in amber: the one to worry about stands out.
_LINES = style(colors=("#2e6bd9", "#dc6803"), stroke_width="2.2")


def _labels(hours: Sequence[datetime]) -> tuple[list[str], list[str]]:
    """About eight hour labels; over more than a day, one date a day ("14:00" alone
    would be ambiguous). The last hour is always labelled: it is the one people look
    at. Unlabelled hours get an empty label, since pygal matches labels by text."""
    fmt, every = ("%d %b", 24) if len(hours) > 24 else ("%H:00", max(1, len(hours) // 8))
    last = len(hours) - 1
    labels = [h.strftime(fmt) if (last - i) % every == 0 else "" for i, h in enumerate(hours)]
    return labels, [label for label in labels if label]


def reviews_per_hour(hours: Sequence[datetime], by_region: Mapping[str, Sequence[int]]) -> bytes:
    """A stacked bar per hour (UTC), one colour per region."""
    chart = pygal.StackedBar(
        **config(BARS),
        title="Reviews per hour (UTC)",
        no_data_text="No regions to show",
        min_scale=2,
        max_scale=6,
    )
    chart.x_labels, chart.x_labels_major = _labels(hours)
    for region, counts in by_region.items():
        chart.add(region.upper(), list(counts))
    return render(chart)


def writeback_lag(
    hours: Sequence[datetime],
    average_seconds: Sequence[float | None],
    max_seconds: Sequence[float | None],
) -> bytes:
    """Average and worst time from review to the region's confirmation, per hour (UTC).

    Hours without a delivery are gaps, not zeros: no delivery is not a fast one.
    """
    chart = pygal.Line(
        **config(_LINES),
        title="Write-back lag per hour (seconds, UTC)",
        no_data_text="No write-backs delivered yet",
        allow_interruptions=True,
        show_dots=True,
        dots_size=3,
        min_scale=2,
        max_scale=6,
        value_formatter=lambda v: f"{v:.1f} s",
    )
    chart.x_labels, chart.x_labels_major = _labels(hours)
    if any(v is not None for v in max_seconds):
        chart.add("average", list(average_seconds))
        chart.add("slowest", list(max_seconds))
    return render(chart)

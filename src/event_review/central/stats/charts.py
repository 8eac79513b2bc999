"""Reviewer statistics as SVG charts, drawn by pygal on the server.

Pure functions from numbers to SVG bytes, in the platform's chart style and
without scripts (`central/charts.py`), like the dashboard's. Each takes the
groups' labels (reviewers, teams or regions) in the order they are drawn;
`of_statistics` picks the numbers of one chart out of the figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from functools import partial
from typing import Any

import pygal  # type: ignore[import-untyped]  # pygal ships no type information

from event_review.central.charts import BARS, config, render
from event_review.central.stats.repository import GroupBy
from event_review.central.stats.schemas import Statistics

NO_DATA = "Nothing in this period"
# More labels than this along the x axis would overlap: they are slanted.
_UPRIGHT_LABELS = 6


def mm_ss(seconds: float | None) -> str:
    """75.4 -> "1:15"; the median is read like a stopwatch."""
    if seconds is None:
        return "—"
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def _count_axis(*series: Sequence[int]) -> list[int] | None:
    """Whole numbers along a count axis (pygal would put 0.8 reviews between 0 and 1);
    None, pygal's own, for a chart with nothing to draw (it cannot place labels then)."""
    top = max((max(s, default=0) for s in series), default=0)
    if top == 0:
        return None
    step = max(1, math.ceil(top / 5))
    return list(range(0, top + step + 1, step))


def _bars(kind: Any, title: str, labels: Sequence[str], **options: Any) -> Any:
    chart = kind(
        **config(BARS),
        title=title,
        no_data_text=NO_DATA,
        min_scale=2,
        max_scale=6,
        x_label_rotation=30 if len(labels) > _UPRIGHT_LABELS else 0,
        **options,
    )
    # Every group is labelled: the config shows major labels only.
    chart.x_labels = chart.x_labels_major = list(labels)
    return chart


def reviews(
    title: str, labels: Sequence[str], reviews: Sequence[int], corrections: Sequence[int]
) -> bytes:
    """Reviews and corrections side by side, per group."""
    chart = _bars(pygal.Bar, title, labels, y_labels=_count_axis(reviews, corrections))
    if any(reviews) or any(corrections):
        chart.add("reviews", list(reviews))
        chart.add("corrections", list(corrections))
    return render(chart)


def median_time(title: str, labels: Sequence[str], seconds: Sequence[float | None]) -> bytes:
    """The median time per review, per group; a group with no timed review is a gap."""
    chart = _bars(pygal.Bar, title, labels, value_formatter=mm_ss, show_legend=False)
    if any(s is not None for s in seconds):
        chart.add("median time per review", list(seconds))
    return render(chart)


def decisions(title: str, labels: Sequence[str], by_decision: Mapping[str, Sequence[int]]) -> bytes:
    """First reviews per group, stacked by decision."""
    totals = [sum(column) for column in zip(*by_decision.values(), strict=True)]
    chart = _bars(pygal.StackedBar, title, labels, y_labels=_count_axis(totals))
    for decision, counts in by_decision.items():
        chart.add(decision, list(counts))
    return render(chart)


def reasons(title: str, counts: Sequence[tuple[str, int]]) -> bytes:
    """The reason codes given most, most given on top."""
    chart = pygal.HorizontalBar(
        **config(BARS),
        title=title,
        no_data_text=NO_DATA,
        show_legend=False,
        min_scale=2,
    )
    # pygal draws a horizontal bar chart's first label at the bottom.
    ordered = list(reversed(counts))
    chart.x_labels = chart.x_labels_major = [label for label, _ in ordered]
    if ordered:
        chart.add("first reviews", [n for _, n in ordered])
    return render(chart)


# -- which chart of which figures ------------------------------------------------


class ChartName(StrEnum):
    REVIEWS = "reviews"
    MEDIAN_TIME = "median-time"
    DECISIONS = "decisions"
    REASONS = "reasons"


# A chart of more groups than this has bars too thin to read: the busiest are drawn.
CHART_GROUPS = 12
TOP_REASONS = 10
_NOUNS = {GroupBy.REVIEWER: "reviewer", GroupBy.TEAM: "team", GroupBy.REGION: "region"}


def _label(stats: Statistics, key: str) -> str:
    if not key:
        return "(none)"  # a reviewer without a team; an event purged from its region
    return key.upper() if stats.group_by == GroupBy.REGION else key


def of_statistics(name: ChartName, stats: Statistics) -> Callable[[], bytes]:
    """What draws chart `name` of these figures (pure, to run off the event loop)."""
    groups = stats.groups
    noun = _NOUNS[GroupBy(stats.group_by)]
    if len(groups) > CHART_GROUPS:
        busiest = sorted(groups, key=lambda g: (-g.reviews, g.key))[:CHART_GROUPS]
        groups = sorted(busiest, key=lambda g: g.key)
        noun = f"{noun}, the {CHART_GROUPS} with most reviews"
    labels = [_label(stats, g.key) for g in groups]
    if name is ChartName.REVIEWS:
        return partial(
            reviews,
            f"Reviews and corrections per {noun}",
            labels,
            [g.reviews for g in groups],
            [g.corrections for g in groups],
        )
    if name is ChartName.MEDIAN_TIME:
        return partial(
            median_time,
            f"Median time per review (min:s) per {noun}",
            labels,
            [g.median_seconds_per_review for g in groups],
        )
    if name is ChartName.DECISIONS:
        given = sorted({d for g in groups for d in g.decisions})
        return partial(
            decisions,
            f"First reviews by decision per {noun}",
            labels,
            {humanize(d): [g.decisions.get(d, 0) for g in groups] for d in given},
        )
    totals: Counter[str] = Counter()
    for group in stats.groups:
        totals.update(group.reasons)
    top = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP_REASONS]
    return partial(
        reasons,
        f"Reason codes given most (top {TOP_REASONS})",
        [(code.replace(":", ": ", 1), n) for code, n in top],
    )


def humanize(key: str) -> str:
    """`false_trigger` -> "False trigger", as the web client names decisions."""
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]

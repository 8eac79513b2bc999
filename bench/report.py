"""The result: one table of figures (platform, baseline, ratio, target), or the same as JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass
class Figure:
    """One measured figure of a scenario.

    `ratio` is platform / baseline. `target` states the goal in words and
    `check` (ratio or platform value, with a bound) decides `met`; a missed
    target is reported, never raised.
    """

    key: str
    label: str
    unit: str
    platform: float | None
    baseline: float | None = None
    target: str | None = None
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.platform is None or self.baseline is None:
            return None
        if self.baseline == 0:
            return None if self.platform != 0 else 1.0
        return self.platform / self.baseline

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "platform": _finite(self.platform),
            "baseline": _finite(self.baseline),
            "ratio": _finite(self.ratio),
            "target": self.target,
            "met": self.met,
            "notes": self.notes,
        }


def _finite(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(value, 4)


def at_least(value: float | None, bound: float) -> bool | None:
    return None if value is None or math.isnan(value) else value >= bound


def at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None or math.isnan(value) else value <= bound


def _number(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "—"
    if unit in ("count", "rows", "MB") and float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_table(figures: list[Figure]) -> str:
    rows = [("figure", "platform", "baseline", "ratio", "target")]
    for f in figures:
        ratio = f.ratio
        verdict = "" if f.met is None else (" ✓" if f.met else " ✗ missed")
        rows.append(
            (
                f"{f.label} [{f.unit}]",
                _number(f.platform, f.unit),
                _number(f.baseline, f.unit),
                "—" if ratio is None else f"{ratio:.2f}",
                (f.target or "") + verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [row[i].rjust(widths[i]) for i in (1, 2, 3)]
        cells.append(row[4].ljust(widths[4]))
        lines.append(" | ".join(cells).rstrip())
        if n == 0:
            lines.append("-|-".join("-" * w for w in widths))
    return "\n".join(lines)

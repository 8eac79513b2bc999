"""The statistics as a file: one row per group, every figure a column of its own.

The layout is fixed, so a spreadsheet or a script reading it can rely on it:

- `since`, `until` (ISO instants, until exclusive), `group_by`, `key`;
- `reviews`, `corrections`, `skips`, `escalations`, `median_seconds_per_review`,
  `timed_reviews`, `qa_judged`, `qa_agreed`, `qa_agreement` (empty where the API
  says null);
- then one `decision:<decision>` column per decision given in the period, and
  one `reason:<list>:<code>` column per reason code, each sorted by name; a
  group without any of them has 0 there.

CSV and JSON Lines carry the same rows (JSON Lines with null for empty). A text
cell a spreadsheet would run as a formula (a username, a team name) is made
plain text. Groups are few (people, teams, regions), so the file is built whole.
"""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import Any

from event_review.central.spreadsheets import spreadsheet_safe
from event_review.central.stats.schemas import Statistics


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSONL: "application/jsonl"}

FIGURES = [
    "reviews", "corrections", "skips", "escalations", "median_seconds_per_review",
    "timed_reviews", "qa_judged", "qa_agreed", "qa_agreement",
]  # fmt: skip
FIXED = ["since", "until", "group_by", "key", *FIGURES]
DECISION, REASON = "decision:", "reason:"


def columns(stats: Statistics) -> list[str]:
    decisions = sorted({d for g in stats.groups for d in g.decisions})
    reasons = sorted({r for g in stats.groups for r in g.reasons})
    return [*FIXED, *(DECISION + d for d in decisions), *(REASON + r for r in reasons)]


def rows(stats: Statistics) -> list[dict[str, Any]]:
    """The groups as flat rows, every row with every column."""
    names = columns(stats)
    out = []
    for group in stats.groups:
        row: dict[str, Any] = dict.fromkeys(names, 0)
        row.update(
            since=stats.since.isoformat(),
            until=stats.until.isoformat(),
            group_by=stats.group_by,
            key=group.key,
            **{figure: getattr(group, figure) for figure in FIGURES},
        )
        row.update({DECISION + d: n for d, n in group.decisions.items()})
        row.update({REASON + r: n for r, n in group.reasons.items()})
        out.append(row)
    return out


def _cell(value: Any) -> Any:
    return spreadsheet_safe(value) if isinstance(value, str) else value


def as_csv(stats: Statistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = columns(stats)
    writer.writerow([_cell(name) for name in names])
    for row in rows(stats):
        writer.writerow([_cell(row[name]) for name in names])
    return out.getvalue()


def as_jsonl(stats: Statistics) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows(stats))


def render(stats: Statistics, fmt: ExportFormat) -> str:
    return as_csv(stats) if fmt is ExportFormat.CSV else as_jsonl(stats)

"""docs/data-inventory.md classifies every central column, and the free text is the text
policy's to clear."""

from __future__ import annotations

import re
from pathlib import Path

from event_review.central.db.base import Base
from event_review.central.review_text import repository as review_text

INVENTORY = Path(__file__).resolve().parents[2] / "docs" / "data-inventory.md"
CLASSES = {"workflow", "personal", "free text", "secret"}


def inventory() -> dict[tuple[str, str], str]:
    classified: dict[tuple[str, str], str] = {}
    table = None
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        if heading := re.fullmatch(r"### (\w+)", line):
            table = heading[1]
        elif row := re.fullmatch(r"\| `(\w+)` \| ([^|]+?) \|.*", line):
            assert table is not None, f"a column before any table: {line}"
            assert (table, row[1]) not in classified, f"{table}.{row[1]} is listed twice"
            classified[(table, row[1])] = row[2]
    return classified


def test_every_central_column_is_classified_and_nothing_else_is() -> None:
    in_models = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns}
    classified = inventory()

    assert sorted(in_models - set(classified)) == [], "columns the inventory does not classify"
    assert sorted(set(classified) - in_models) == [], "the inventory lists columns no model has"
    assert {c for c in classified.values() if c not in CLASSES} == set()


def test_the_text_policy_clears_every_free_text_column() -> None:
    """A new free-text column must be cleared under a `regional` policy too."""
    free_text = {place for place, kind in inventory().items() if kind == "free text"}
    statement = review_text.CLEAR_TEMPLATE
    cleared = set()
    for table, column in free_text:
        # Each is assigned in the clearing statement's UPDATE of its table.
        update = re.search(rf"UPDATE {table} AS \w+\s+SET(.*?)(FROM|WHERE)", statement, re.S)
        if update and re.search(rf"\b{column}\s*=", update[1]):
            cleared.add((table, column))
    assert sorted(free_text - cleared) == []

"""What a queue rules file may say, and which priority it gives an arriving event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from event_review.central.queue_rules.definition import STRICT_POINT, QueueRules
from event_review.central.queue_rules.priorities import priority_for
from event_review.contracts.ingest import EventMetadata

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "queue-rules.yaml"


def event(**overrides: Any) -> EventMetadata:
    fields: dict[str, Any] = {
        "external_event_id": "e-1",
        "region_code": "eu",
        "event_type": "collision",
        "occurred_at": datetime(2026, 12, 1, tzinfo=UTC),
        "priority": 7,
        **overrides,
    }
    return EventMetadata.model_validate(fields)


def rules(*priorities: dict[str, Any], **rest: Any) -> QueueRules:
    return QueueRules.model_validate({"priorities": list(priorities), **rest})


def test_the_example_file_is_valid_and_reads_back_as_it_dumps() -> None:
    parsed = QueueRules.model_validate(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))

    assert parsed.point == timedelta(minutes=6)
    assert [s.name for s in parsed.slas] == ["collisions", "everything"]
    assert QueueRules.model_validate(parsed.model_dump(mode="json")) == parsed


def test_no_ageing_makes_a_point_outweigh_any_wait() -> None:
    assert QueueRules().point == STRICT_POINT
    assert rules(ageing={"every": "90s"}).point == timedelta(seconds=90)


def test_the_first_matching_rule_wins_and_no_match_keeps_the_forwarders_priority() -> None:
    found = rules(
        {"name": "crash-eu", "when": {"event_type": "crash", "region": "eu"}, "priority": 95},
        {"name": "crash", "when": {"event_type": ["crash"]}, "priority": 60},
    )

    assert priority_for(found, "eu", event(event_type="crash")) == 95
    assert priority_for(found, "us", event(event_type="crash", region_code="us")) == 60
    assert priority_for(found, "eu", event(event_type="collision")) == 7


def test_summary_values_match_by_json_kind() -> None:
    found = rules(
        {"name": "flag", "when": {"summary.flagged": True}, "priority": 90},
        {"name": "level", "when": {"summary.level": [1, 2]}, "priority": 80},
        {"name": "label", "when": {"summary.label": "1"}, "priority": 70},
    )

    assert priority_for(found, "eu", event(summary={"flagged": True})) == 90
    # true is not 1, and "1" is not 1: a JSON document tells them apart.
    assert priority_for(found, "eu", event(summary={"level": True})) == 7
    assert priority_for(found, "eu", event(summary={"level": 2})) == 80
    assert priority_for(found, "eu", event(summary={"level": "2"})) == 7
    assert priority_for(found, "eu", event(summary={"label": 1})) == 7
    assert priority_for(found, "eu", event(summary={"label": "1"})) == 70
    assert priority_for(found, "eu", event(summary={})) == 7


def test_numeric_ranges_include_their_bounds_and_refuse_non_numbers() -> None:
    found = rules(
        {"name": "fast", "when": {"summary.speed": {"at_least": 120, "at_most": 200}},
         "priority": 88},
    )  # fmt: skip

    assert [
        priority_for(found, "eu", event(summary={"speed": speed}))
        for speed in (119.9, 120, 150.5, 200, 201, "150", True)
    ] == [7, 88, 88, 88, 7, 7, 7]


def test_every_condition_must_hold() -> None:
    found = rules(
        {
            "name": "bus-distraction",
            "when": {
                "event_type": "driver_distraction",
                "device_id": ["dev-1"],
                "summary.vehicle_class": "bus",
            },
            "priority": 85,
        },
    )
    matching = event(event_type="driver_distraction", device_id="dev-1",
                     summary={"vehicle_class": "bus"})  # fmt: skip

    assert priority_for(found, "eu", matching) == 85
    assert priority_for(found, "eu", matching.model_copy(update={"device_id": "dev-2"})) == 7
    assert priority_for(found, "eu", matching.model_copy(update={"summary": {}})) == 7


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"priorities": [{"name": "a", "when": {"colour": "red"}, "priority": 1}]},
         "unknown condition 'colour'"),
        ({"priorities": [{"name": "a", "when": {"summary.x": {}}, "priority": 1}]},
         "a range needs at_least, at_most or both"),
        ({"priorities": [{"name": "a", "when": {"summary.x": {"at_least": 5, "at_most": 1}},
                          "priority": 1}]}, "at_most is below at_least"),
        ({"priorities": [{"name": "a", "when": {}, "priority": 101}]}, "less than or equal to 100"),
        ({"priorities": [{"name": "a", "when": {}, "priority": 1},
                         {"name": "a", "when": {}, "priority": 2}]}, "names must be unique"),
        ({"ageing": {"every": "5 weeks"}}, "is not a duration"),
        ({"ageing": {"every": "0m"}}, "greater than"),
        ({"slas": [{"name": "s"}]}, "sets neither oldest_pending nor first_review"),
        ({"slas": [{"name": "s", "oldest_pending": "1h", "when": {"summary.x": 1}}]},
         "Extra inputs are not permitted"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_problem(document: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        QueueRules.model_validate(document)

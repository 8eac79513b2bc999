"""The priority an arriving event gets, and where that puts it in the queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from event_review.central.queue_rules.definition import Match, QueueRules, Range
from event_review.contracts.ingest import EventMetadata


def _same(expected: Any, actual: Any) -> bool:
    # JSON's kinds, not Python's: true is not 1 and "1" is not 1.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected is actual
    if isinstance(expected, str) or isinstance(actual, str):
        return isinstance(expected, str) and isinstance(actual, str) and expected == actual
    return bool(expected == actual)


def matches(when: Match, region: str, event: EventMetadata) -> bool:
    if not when.covers(region, event.event_type):
        return False
    if when.device_id and event.device_id not in when.device_id:
        return False
    for field, condition in when.summary_conditions().items():
        if field not in event.summary:
            return False
        value = event.summary[field]
        if isinstance(condition, Range):
            if not condition.holds(value):
                return False
        elif not any(_same(expected, value) for expected in condition):
            return False
    return True


def priority_for(rules: QueueRules, region: str, event: EventMetadata) -> int:
    """The first matching rule's priority; the forwarder's when no rule matches."""
    for rule in rules.priorities:
        if matches(rule.when, region, event):
            return rule.priority
    return event.priority


def rank_at(arrived_at: datetime, priority: int, point: timedelta) -> datetime:
    """When the event counts as arrived: each priority point is `point` of waiting
    it is credited with, so the claim takes the smallest rank first."""
    return arrived_at - priority * point

"""What an event search can ask for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

from event_review.central.db.models import EventStatus


class SortBy(StrEnum):
    INGESTED = "ingested"  # newest ingested first: every event
    REVIEWED = "reviewed"  # newest reviewed first: reviewed events only


@dataclass(frozen=True)
class Window:
    """A half-open time range [since, until); either end may be open."""

    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class EventFilters:
    statuses: tuple[EventStatus, ...] = ()
    event_type: str | None = None
    device_id: str | None = None
    external_event_id: str | None = None
    decision: str | None = None
    # (reason list, code): the review gave this code in this list.
    reason: tuple[str, str] | None = None
    reviewer_id: uuid.UUID | None = None
    occurred: Window = Window()
    ingested: Window = Window()
    reviewed: Window = Window()


# An export job keeps its search in the database until a worker runs it: as JSON, and read
# back through the same types, so a stored search is checked like a new one.
_STORED: TypeAdapter[EventFilters] = TypeAdapter(EventFilters)


def stored(filters: EventFilters) -> dict[str, Any]:
    return _STORED.dump_python(filters, mode="json")  # type: ignore[no-any-return]


def from_stored(data: dict[str, Any]) -> EventFilters:
    return _STORED.validate_python(data)

"""The filters of a search as query parameters: one dependency, so a page of results, the
streamed export and an export job read them, check them and scope them alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AwareDatetime, StringConstraints

from event_review.central.db.models import EventStatus
from event_review.central.search.filters import EventFilters, SortBy, Window
from event_review.contracts.errors import documented
from event_review.contracts.fields import LINE, ExternalEventId, RegionCode
from event_review.runtime.errors import Unprocessable

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Since = Annotated[
    AwareDatetime | None,
    Query(description="From this time on (inclusive).", examples=["2026-11-01T00:00:00Z"]),
]
Until = Annotated[
    AwareDatetime | None,
    Query(description="Before this time (exclusive).", examples=["2026-12-01T00:00:00Z"]),
]
SEARCH_ERRORS = documented(
    e403="Leads and admins; a lead only within the team's regions (`region_not_in_team`)",
    e404="An admin named a region that does not exist (`unknown_region`), or nobody has "
    "the reviewer's name (`unknown_reviewer`)",
)


@dataclass(frozen=True)
class Search:
    regions: list[str]
    filters: EventFilters
    reviewer: str | None
    sort: SortBy


def search_query(
    region: Annotated[list[RegionCode], Query(max_length=16)] = [],  # noqa: B006 (FastAPI copies it)
    status: Annotated[list[EventStatus], Query(max_length=4)] = [],  # noqa: B006
    event_type: Annotated[str | None, Query(min_length=1, max_length=64), LINE] = None,
    device_id: Annotated[str | None, Query(min_length=1, max_length=128), LINE] = None,
    external_event_id: Annotated[ExternalEventId | None, Query()] = None,
    decision: Annotated[Key | None, Query()] = None,
    reason: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z][a-z0-9_]{0,31}:[a-z][a-z0-9_]{0,31}$",
            description="`list:code`: the review gave this reason code in this list.",
        ),
    ] = None,
    reviewer: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A username."), LINE
    ] = None,
    occurred_from: Since = None,
    occurred_until: Until = None,
    ingested_from: Since = None,
    ingested_until: Until = None,
    reviewed_from: Since = None,
    reviewed_until: Until = None,
    sort: Annotated[
        SortBy,
        Query(description="`ingested` (every event) or `reviewed` (reviewed events only)."),
    ] = SortBy.INGESTED,
) -> Search:
    """Every filter given must hold."""
    ranges = {"occurred": (occurred_from, occurred_until), "ingested": (ingested_from,
              ingested_until), "reviewed": (reviewed_from, reviewed_until)}  # fmt: skip
    backwards = [name for name, (low, high) in ranges.items() if low and high and high <= low]
    if backwards:
        raise Unprocessable(
            "a time range must end after it starts",
            code="validation_error",
            details=[{"loc": ["query", f"{name}_until"], "msg": "not after its `_from`",
                      "type": "range"} for name in backwards],
        )  # fmt: skip
    reasons = reason.split(":", 1) if reason else None
    filters = EventFilters(
        statuses=tuple(status),
        event_type=event_type,
        device_id=device_id,
        external_event_id=external_event_id,
        decision=decision,
        reason=(reasons[0], reasons[1]) if reasons else None,
        occurred=Window(occurred_from, occurred_until),
        ingested=Window(ingested_from, ingested_until),
        reviewed=Window(reviewed_from, reviewed_until),
    )
    return Search(list(region), filters, reviewer, sort)


SearchQuery = Annotated[Search, Depends(search_query)]

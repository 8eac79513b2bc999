"""The centre <-> region wire: the regional API's paths, and the review outcome written back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from event_review.contracts.fields import LINE, TEXT

IDEMPOTENCY_HEADER = "Idempotency-Key"

# The regional API's routes, as the region serves them and the centre calls them.
REGIONAL_EVENTS_PREFIX = "/regional/v1/events"
PAYLOAD_ROUTE = "/{external_event_id}"
REVIEW_ROUTE = "/{external_event_id}/review"


def payload_url(api_url: str, external_event_id: str) -> str:
    """Where a region serves one event's payload (`api_url` from the regions table)."""
    return f"{api_url.rstrip('/')}{REGIONAL_EVENTS_PREFIX}/{quote(external_event_id, safe='')}"


def review_url(api_url: str, external_event_id: str) -> str:
    """Where a region records one event's review outcome."""
    return payload_url(api_url, external_event_id) + "/review"


class ReviewOutcome(BaseModel):
    """What the centre records in the region once a review is submitted.

    The centre writes its outbox row from this model when the review is made,
    so what waits in the outbox is always something the region accepts.
    """

    # Errors never quote the input: a comment is whatever a reviewer typed.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    decision: Literal["approve", "reject"]
    rating: StrictInt = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=4_000), TEXT] | None = None
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
    reviewed_at: AwareDatetime


class RecordedReview(BaseModel):
    external_event_id: str
    decision: str
    rating: int
    comment: str | None
    reviewer: str
    reviewed_at: datetime
    recorded_at: datetime
    idempotency_key: str

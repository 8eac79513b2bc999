"""The centre ↔ region wire models: review outcomes written back to a region."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from event_review.contracts.fields import LINE, TEXT

IDEMPOTENCY_HEADER = "Idempotency-Key"


class ReviewOutcome(BaseModel):
    """What the centre records in the region once a review is submitted."""

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

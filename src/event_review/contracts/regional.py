"""The centre ↔ region wire models: review outcomes written back to a region."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

IDEMPOTENCY_HEADER = "Idempotency-Key"


class ReviewOutcome(BaseModel):
    """What the centre records in the region once a review is submitted."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=4_000)] | None = None
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=64)]
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

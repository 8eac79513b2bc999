from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from event_review.central.db.models import ReviewDecision

MAX_COMMENT = 4_000

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)]


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    rating: int = Field(ge=1, le=5)
    comment: Comment | None = None

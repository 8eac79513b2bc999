from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from event_review.central.db.models import ReviewDecision
from event_review.contracts.fields import TEXT

MAX_COMMENT = 4_000

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT), TEXT]


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    rating: StrictInt = Field(ge=1, le=5)
    comment: Comment | None = None

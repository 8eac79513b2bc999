from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from event_review.contracts.fields import TEXT, AnswerKey, FieldValues, FormKey, ReasonCodes

MAX_COMMENT = 4_000

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT), TEXT]


class FormRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: FormKey
    version: StrictInt = Field(ge=1, le=2**31 - 1)


class ReviewRequest(BaseModel):
    """A review's answers; checked against the event's form (422 naming each bad place).

    With the default form this is the original body: `{decision, rating, comment}`.
    """

    model_config = ConfigDict(extra="forbid")

    decision: AnswerKey
    rating: StrictInt | None = Field(default=None, ge=0, le=100)
    comment: Comment | None = None
    reasons: ReasonCodes = Field(default_factory=dict, description="Reason codes, by list.")
    fields: FieldValues = Field(default_factory=dict, description="The form's further fields.")
    form: FormRef | None = Field(
        default=None,
        description="The form version the answers were given in (as shown to the reviewer); "
        "left out, the current form for the event.",
    )

    def answers(self) -> dict[str, object]:
        return self.model_dump(include={"decision", "rating", "comment", "reasons", "fields"})


Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1_000), TEXT]


class CorrectionRequest(ReviewRequest):
    """New answers for a reviewed event; they become its next revision."""

    revision: StrictInt = Field(
        ge=1,
        le=10_000,
        description="The revision you are correcting: the event's current one "
        "(`review_revision`). Another correction in between makes this a 409.",
    )
    note: Note | None = Field(
        default=None,
        description="Why. Required when you correct someone else's review (leads, admins).",
    )


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    revision: int
    kind: str
    reviewer: str
    created_at: datetime
    form_key: str
    form_version: int
    decision: str
    rating: int | None
    comment: str | None
    answers: dict[str, Any]
    note: str | None
    text_cleared_at: datetime | None = Field(
        description="When the region's `regional` text policy had comment, note and text "
        "fields cleared here; `GET /events/{id}/review-text` reads them from the region."
    )

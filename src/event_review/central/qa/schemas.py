from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from event_review.central.events.schemas import EventOut
from event_review.central.reviews.schemas import Note, ReviewRequest

MAX_QA_BATCH = 50


class QaBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: StrictInt = Field(default=5, ge=1, le=MAX_QA_BATCH)


class QaTaskOut(BaseModel):
    task_id: int
    revision: int = Field(description="The revision of the review under QA.")
    form_key: str
    created_at: datetime
    lease_expires_at: datetime | None
    event: EventOut


class QaBatch(BaseModel):
    lease_expires_at: datetime | None
    tasks: list[QaTaskOut]


class VerdictRequest(BaseModel):
    """`agree`, or `correct` with your `answers`: they become the review's next revision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"verdict": "correct", "revision": 1, "note": "contact at 0:04",
                 "answers": {"decision": "reject", "rating": 2}}
            ]
        },
    )  # fmt: skip

    verdict: Literal["agree", "correct"]
    revision: StrictInt = Field(ge=1, le=10_000, description="The revision you judged.")
    answers: ReviewRequest | None = Field(
        default=None, description="With `correct`: your answers, in the event's form."
    )
    note: Note | None = Field(default=None, description="With `correct`: why.")

    @model_validator(mode="after")
    def _agreeing_says_nothing_more(self) -> Self:
        # Refused rather than dropped: an agreement has no revision to carry them.
        if self.verdict == "agree" and (self.answers is not None or self.note is not None):
            raise ValueError("`answers` and `note` go with `correct` only")
        return self


class VerdictOut(BaseModel):
    task_id: int
    verdict: str
    event: EventOut


class ReviewerAgreement(BaseModel):
    reviewer: str
    judged: int
    agreed: int
    share: float


class FieldAgreement(BaseModel):
    field: str = Field(description="`decision`, `rating`, `reasons.<list>` or `fields.<key>`.")
    compared: int = Field(description="Judged reviews where both answered it.")
    share: float | None = Field(description="Of those, the share with the same answer.")
    kappa: float | None = Field(
        description="Cohen's kappa between reviewer and QA (categorical answers only; null "
        "where it does not apply or is undefined, e.g. one answer throughout)."
    )


class Agreement(BaseModel):
    form: str
    judged: int
    reviewers: list[ReviewerAgreement]
    fields: list[FieldAgreement]

"""The centre <-> region wire: the regional API's paths, and the reviews written back.

Two versions of the update contract live side by side. v1 takes one
approve/reject outcome per event. v2 takes numbered revisions (the first
review, corrections, QA verdicts) of any form, and a region applies the
highest-numbered one it has, whatever order they arrive in. An upgraded
region serves both; the centre sends v2 and falls back to v1 for a region
that does not serve v2 yet, when the revision fits v1 without loss.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)

from event_review.contracts.fields import (
    LINE,
    TEXT,
    AnswerKey,
    FieldValues,
    FormKey,
    ReasonCodes,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"

# The regional API's routes, as the region serves them and the centre calls them.
REGIONAL_EVENTS_PREFIX = "/regional/v1/events"
PAYLOAD_ROUTE = "/{external_event_id}"
REVIEW_ROUTE = "/{external_event_id}/review"
REGIONAL_V2_EVENTS_PREFIX = "/regional/v2/events"
REVISION_ROUTE = "/{external_event_id}/revisions"


def payload_url(api_url: str, external_event_id: str) -> str:
    """Where a region serves one event's payload (`api_url` from the regions table)."""
    return f"{api_url.rstrip('/')}{REGIONAL_EVENTS_PREFIX}/{quote(external_event_id, safe='')}"


def review_url(api_url: str, external_event_id: str) -> str:
    """Where a region records one event's review outcome (v1)."""
    return payload_url(api_url, external_event_id) + "/review"


def revision_url(api_url: str, external_event_id: str) -> str:
    """Where a region records one revision of an event's review (v2)."""
    event = quote(external_event_id, safe="")
    return f"{api_url.rstrip('/')}{REGIONAL_V2_EVENTS_PREFIX}/{event}/revisions"


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


Comment = Annotated[str, StringConstraints(max_length=4_000), TEXT]


class RevisionKind(StrEnum):
    REVIEW = "review"  # the first decision on the event
    CORRECTION = "correction"  # by its reviewer, or a lead or admin of the region
    QA = "qa"  # a QA reviewer disagreed, and their answers replace the review's


class ReviewRevision(BaseModel):
    """One revision of an event's review, as the centre writes it back (v2).

    The centre writes its outbox row from this model when the revision is made,
    so what waits in the outbox is always something the region accepts.
    """

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    revision: StrictInt = Field(ge=1, le=10_000)
    kind: RevisionKind
    form_key: FormKey
    form_version: StrictInt = Field(ge=1)
    decision: AnswerKey
    rating: StrictInt | None = Field(default=None, ge=0, le=100)
    comment: Comment | None = None
    reasons: ReasonCodes = Field(default_factory=dict)
    fields: FieldValues = Field(default_factory=dict)
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
    reviewed_at: AwareDatetime
    # Why a correction or QA verdict changed the review.
    note: Annotated[str, StringConstraints(max_length=1_000), TEXT] | None = None

    def as_v1(self) -> ReviewOutcome | None:
        """The same review for a region that speaks v1 only, if nothing is lost on the way:
        a first review of the default form."""
        fits = (
            self.revision == 1
            and self.kind is RevisionKind.REVIEW
            and self.form_key == "default"
            and self.decision in ("approve", "reject")
            and self.rating is not None
            and 1 <= self.rating <= 5
            and not self.reasons
            and not self.fields
        )
        if not fits:
            return None
        return ReviewOutcome.model_validate(
            {
                "decision": self.decision,
                "rating": self.rating,
                "comment": self.comment,
                "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at,
            }
        )

    @classmethod
    def of_v1(cls, outcome: ReviewOutcome) -> ReviewRevision:
        """A v1 outcome as the first revision of a default-form review."""
        return cls(
            revision=1,
            kind=RevisionKind.REVIEW,
            form_key="default",
            form_version=1,
            decision=outcome.decision,
            rating=outcome.rating,
            comment=outcome.comment,
            reviewer=outcome.reviewer,
            reviewed_at=outcome.reviewed_at,
        )


class RecordedRevision(BaseModel):
    """The region's answer: the revision is kept, and which one is in force there."""

    external_event_id: str
    revision: int
    current_revision: int = Field(description="The highest revision the region has applied.")
    recorded_at: datetime


class RevisionHistory(BaseModel):
    """Every revision of an event's review the region keeps (v2), oldest first: how the
    centre reads what reviewers typed once a `regional` text policy cleared it there."""

    external_event_id: str
    current_revision: int | None
    revisions: list[ReviewRevision]

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from event_review.central.db.models import Queue, SkipReason
from event_review.central.events.schemas import EventOut
from event_review.contracts.fields import TEXT

MAX_BATCH = 100


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: StrictInt = Field(default=10, ge=1, le=MAX_BATCH)
    queue: Queue = Field(
        default=Queue.REVIEW,
        description="`escalated`: events reviewers asked a second opinion on (leads, admins).",
    )


class Batch(BaseModel):
    lease_expires_at: datetime | None = Field(
        description="When the earliest lease of the batch runs out; null when empty."
    )
    hold_until: datetime | None = Field(
        description="When the earliest claimed event reaches the longest hold: no lease "
        "extends past it. Null when empty."
    )
    events: list[EventOut]


class ExtendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_BATCH,
        description="Which of your events to extend; left out, all of them.",
    )


class SkipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SkipReason | None = Field(default=None, description="Why, from a fixed list.")


class EscalateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1_000), TEXT
    ] = Field(description="What the second opinion is needed for.")

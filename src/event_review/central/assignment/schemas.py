from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from event_review.central.events.schemas import EventOut

MAX_BATCH = 100


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: StrictInt = Field(default=10, ge=1, le=MAX_BATCH)


class Batch(BaseModel):
    lease_expires_at: datetime | None = Field(
        description="When the earliest lease of the batch runs out; null when empty."
    )
    events: list[EventOut]

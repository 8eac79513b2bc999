from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from event_review.central.db.models import OutboxStatus


class WritebackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outbox_id: int
    event_id: uuid.UUID
    region_code: str
    external_event_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class WritebackPage(BaseModel):
    items: list[WritebackOut]
    limit: int
    offset: int

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from event_review.central.db.models import EventStatus


class EventOut(BaseModel):
    """An event's central metadata and review state. The payload is fetched separately."""

    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID
    external_event_id: str
    region_code: str
    event_type: str
    occurred_at: datetime
    device_id: str | None
    priority: int
    summary: dict[str, Any]
    status: EventStatus
    created_at: datetime
    assigned_user_id: uuid.UUID | None
    assigned_at: datetime | None
    lease_expires_at: datetime | None
    review_user_id: uuid.UUID | None
    reviewed_at: datetime | None
    review_decision: str | None
    review_rating: int | None
    review_comment: str | None
    review_form_key: str | None
    review_form_version: int | None
    review_answers: dict[str, Any] | None = None
    review_revision: int | None
    completed_at: datetime | None
    queue: str = "review"
    escalated_at: datetime | None = None
    escalated_by: str | None = None
    escalation_note: str | None = None

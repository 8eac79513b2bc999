from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    audit_id: int
    occurred_at: datetime
    actor_type: str
    actor: str
    action: str
    event_id: uuid.UUID | None
    details: dict[str, Any]

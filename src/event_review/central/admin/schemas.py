from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from event_review.central.db.models import Role


class RegionOut(BaseModel):
    code: str
    api_url: str
    retention_policy: str
    retention_days: int | None
    created_at: datetime


class RegionCreated(BaseModel):
    code: str
    api_url: str
    ingest_key: str


class TeamOut(BaseModel):
    team_id: int
    name: str
    regions: list[str]


class UserOut(BaseModel):
    user_id: uuid.UUID
    username: str
    role: Role
    team: str | None
    is_active: bool
    created_at: datetime

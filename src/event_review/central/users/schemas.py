from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from event_review.central.db.models import Role
from event_review.central.teams.schemas import TeamName
from event_review.contracts.fields import LINE

Username = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024), LINE]


class UserOut(BaseModel):
    user_id: uuid.UUID
    username: str
    role: Role
    team: str | None
    is_active: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    role: Role = Role.REVIEWER
    team: TeamName | None = None


class UserUpdate(BaseModel):
    """Role and team; only the fields given change, and `team: null` removes the team
    (only an admin may have none). Activation has routes of its own."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    team: TeamName | None = None


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password

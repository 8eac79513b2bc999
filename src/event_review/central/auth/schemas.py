from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from event_review.central.db.models import Role
from event_review.contracts.fields import LINE


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024), LINE]
    refresh_cookie: StrictBool = Field(
        default=False,
        description="Send the refresh token as an HttpOnly cookie, not in the body "
        "(what the web client does).",
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    refresh_token: str | None = Field(
        description="Null when the refresh token went into the cookie instead."
    )
    refresh_expires_at: datetime


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200), LINE]


class Me(BaseModel):
    user_id: uuid.UUID
    username: str
    role: Role
    team: str | None
    regions: list[str]
    session_expires_at: datetime

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from event_review.central.db.models import RetentionPolicy, Role
from event_review.contracts.fields import LINE

T = TypeVar("T")

# Lists are paged; a caller cannot ask for more than this in one page.
MAX_PAGE = 200
DEFAULT_PAGE = 50

RegionCode = Annotated[str, StringConstraints(min_length=1, max_length=16), LINE]
ApiUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048), LINE]
TeamName = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
Username = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024), LINE]


class Page(BaseModel, Generic[T]):
    """One page of a list. `has_more` instead of a total: counting a long audit
    log on every page would cost more than the page itself."""

    items: list[T]
    limit: int
    offset: int
    has_more: bool


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


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    audit_id: int
    occurred_at: datetime
    actor_type: str
    actor: str
    action: str
    event_id: uuid.UUID | None
    details: dict[str, Any]


# -- request bodies: unknown fields are refused, so a typo never passes silently --


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionCreate(_Body):
    code: RegionCode
    api_url: ApiUrl


class RegionUpdate(_Body):
    """Only the fields given change. Retention policy and days go together."""

    api_url: ApiUrl | None = None
    retention_policy: RetentionPolicy | None = None
    retention_days: StrictInt | None = Field(default=None, ge=0, le=36_500)


class IngestKeyRequest(_Body):
    revoke_others: StrictBool = False


class IngestKeyIssued(BaseModel):
    code: str
    ingest_key: str
    revoked_others: bool


class TeamCreate(_Body):
    name: TeamName
    regions: list[RegionCode] = Field(default_factory=list, max_length=100)


class TeamUpdate(_Body):
    name: TeamName | None = None
    regions: list[RegionCode] | None = Field(default=None, max_length=100)


class UserCreate(_Body):
    username: Username
    password: Password
    role: Role = Role.REVIEWER
    team: TeamName | None = None


class UserUpdate(_Body):
    """Role and team; only the fields given change, and `team: null` removes the team
    (only an admin may have none). Activation has routes of its own."""

    role: Role | None = None
    team: TeamName | None = None


class PasswordReset(_Body):
    password: Password

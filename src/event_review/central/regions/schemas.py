from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from event_review.central.db.models import RetentionPolicy, ReviewTextPolicy
from event_review.contracts.fields import LINE, RegionCode

ApiUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048), LINE]


class RegionOut(BaseModel):
    code: str
    api_url: str
    retention_policy: str
    retention_days: int | None
    review_text: str = Field(
        description="`central`, or `regional`: comments, notes and text answers are cleared "
        "here once delivered to the region, and read from there"
    )
    created_at: datetime


class RegionCreated(BaseModel):
    code: str
    api_url: str
    ingest_key: str


class IngestKeyIssued(BaseModel):
    code: str
    ingest_key: str
    revoked_others: bool


# -- request bodies: unknown fields are refused, so a typo never passes silently --


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: RegionCode
    api_url: ApiUrl


class RegionUpdate(BaseModel):
    """Only the fields given change. Retention policy and days go together."""

    model_config = ConfigDict(extra="forbid")

    api_url: ApiUrl | None = None
    retention_policy: RetentionPolicy | None = None
    retention_days: StrictInt | None = Field(default=None, ge=0, le=36_500)
    review_text: ReviewTextPolicy | None = None


class IngestKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revoke_others: StrictBool = False

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, WithJsonSchema

from event_review.central.db.models import DeliveryStatus, WebhookKind
from event_review.contracts.fields import LINE, RegionCode

WebhookUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048),
    LINE,
    Field(examples=["https://hooks.example.com/event-review"]),
]
Description = Annotated[str, StringConstraints(max_length=200), LINE]
EventType = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]
# Inline in the schema (no $ref): a closed list of strings, not an object.
KindName = Annotated[
    WebhookKind, WithJsonSchema({"type": "string", "enum": [k.value for k in WebhookKind]})
]
Kinds = Annotated[
    list[KindName],
    Field(min_length=1, max_length=len(WebhookKind), description="At least one kind."),
]
Regions = Annotated[
    list[RegionCode] | None,
    Field(max_length=100, description="Region codes to announce; empty or null: every region."),
]
EventTypes = Annotated[
    list[EventType] | None,
    Field(max_length=100, description="Event types to announce; empty or null: every type."),
]


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    webhook_id: uuid.UUID
    url: str
    description: str
    kinds: list[str]
    regions: list[str] = Field(description="Empty: every region.")
    event_types: list[str] = Field(description="Empty: every event type.")
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The Standard Webhooks signing secret (`whsec_…`), shown this once."
    )


class SecretRotated(BaseModel):
    webhook_id: uuid.UUID
    secret: str = Field(description="The new signing secret, shown this once; the old one ends.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    delivery_id: int
    webhook_id: uuid.UUID
    message_id: uuid.UUID = Field(description="The `webhook-id` header, the same on every try.")
    kind: str
    event_id: uuid.UUID | None
    body: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


# -- request bodies: unknown fields are refused, so a typo never passes silently --


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    description: Description = ""
    kinds: Kinds
    regions: Regions = None
    event_types: EventTypes = None
    active: StrictBool = True


class WebhookUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    description: Description | None = None
    kinds: Kinds | None = None
    regions: Regions = None
    event_types: EventTypes = None
    active: StrictBool | None = None

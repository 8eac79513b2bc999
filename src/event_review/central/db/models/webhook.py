from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class WebhookKind(StrEnum):
    """What a receiver can subscribe to; the body's `type`."""

    REVIEW_CREATED = "review.created"
    REVIEW_CORRECTED = "review.corrected"
    QA_DISAGREEMENT = "qa.disagreement"
    EVENT_ESCALATED = "event.escalated"
    WRITEBACK_PARKED = "writeback.parked"
    SLA_BREACHED = "sla.breached"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # parked: too many attempts, or a refused destination


_KINDS_SQL = ", ".join(f"'{k.value}'" for k in WebhookKind)


class WebhookSubscription(Base):
    """A receiver an admin registered: where to POST, and which occurrences it wants.

    Empty `regions` / `event_types` mean every region / event type.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("cardinality(kinds) > 0", name="kinds_not_empty"),
        CheckConstraint(f"kinds <@ ARRAY[{_KINDS_SQL}]::varchar[]", name="kinds_known"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), server_default=text("''"))
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    regions: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default=text("'{}'::varchar[]")
    )
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'::varchar[]")
    )
    # Standard Webhooks' `whsec_` + base64: the key both sides sign with, so it is
    # kept as it is (a digest could not sign).
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One occurrence on its way to one subscription (the webhook outbox).

    Inserted in the transaction that made the occurrence happen; `body` holds ids
    and metadata only, never a payload or typed text. `message_id` is the
    `webhook-id` header, the same on every attempt, so a receiver can drop repeats.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "delivery_id"),
    )

    delivery_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.webhook_id", ondelete="CASCADE")
    )
    message_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), unique=True, server_default=text("gen_random_uuid()")
    )
    kind: Mapped[str] = mapped_column(String(32))
    # No foreign key: a delivery about an event outlives the event's purge.
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

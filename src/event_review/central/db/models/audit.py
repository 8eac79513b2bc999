from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class AuditEntry(Base):
    """Who did what to which event, and when. Never payload content.

    No foreign keys: the trail must outlive purged events and removed users.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_event_id", "event_id", postgresql_where=text("event_id IS NOT NULL")),
        Index("ix_audit_log_occurred_at", "occurred_at"),
    )

    audit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_type: Mapped[str] = mapped_column(String(16))  # user | region | service | operator
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class EventStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"  # reviewed, awaiting write-back to the region
    COMPLETED = "completed"


class Queue(StrEnum):
    REVIEW = "review"
    ESCALATED = "escalated"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Event(Base):
    """Central metadata of one regional event. Never holds the regional payload."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("region_code", "external_event_id"),
        CheckConstraint(
            "status IN ('pending', 'assigned', 'submitted', 'completed')", name="status"
        ),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        CheckConstraint("queue IN ('review', 'escalated')", name="queue"),
        # A form bounds its own rating scale and names its decisions.
        CheckConstraint("review_rating BETWEEN 0 AND 100", name="rating_range"),
        ForeignKeyConstraint(
            ["review_form_key", "review_form_version"],
            ["review_forms.form_key", "review_forms.version"],
            ondelete="RESTRICT",
        ),
        CheckConstraint(
            "(status = 'assigned') = "
            "(assigned_user_id IS NOT NULL AND lease_expires_at IS NOT NULL)",
            name="assignment_consistent",
        ),
        # Waiting events have a rank; it is what the claim orders by.
        CheckConstraint(
            "status NOT IN ('pending', 'assigned') OR rank_at IS NOT NULL", name="ranked"
        ),
        # The claim walks this index once per region, already in claim order,
        # so a claim costs the same with 2 million pending rows as with 20.
        # Escalated events wait for leads in an index of their own.
        Index(
            "ix_events_pending_claim",
            "region_code",
            "rank_at",
            "event_id",
            postgresql_where=text("status = 'pending' AND queue = 'review'"),
        ),
        Index(
            "ix_events_escalated_claim",
            "region_code",
            "rank_at",
            "event_id",
            postgresql_where=text("status = 'pending' AND queue = 'escalated'"),
        ),
        # The oldest event not yet reviewed, per region and type, for SLAs
        # (central.queue_rules.sla): one probe per pair, however long the queue.
        Index(
            "ix_events_unreviewed",
            "region_code",
            "event_type",
            "created_at",
            postgresql_where=text("status IN ('pending', 'assigned')"),
        ),
        Index(
            "ix_events_assigned_user",
            "assigned_user_id",
            "lease_expires_at",
            postgresql_where=text("status = 'assigned'"),
        ),
        Index(
            "ix_events_assigned_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'assigned'"),
        ),
        # Searches walk one region's slice of these in order (central.search):
        # newest ingested, on a device, newest reviewed, by a reviewer.
        Index("ix_events_search_ingested", "region_code", "created_at", "event_id"),
        Index("ix_events_search_device", "region_code", "device_id", "created_at", "event_id"),
        Index(
            "ix_events_search_reviewed",
            "region_code",
            "reviewed_at",
            "event_id",
            postgresql_where=text("reviewed_at IS NOT NULL"),
        ),
        Index(
            "ix_events_search_reviewer",
            "region_code",
            "review_user_id",
            "reviewed_at",
            "event_id",
            postgresql_where=text("reviewed_at IS NOT NULL"),
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    external_event_id: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code", ondelete="RESTRICT"))
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    device_id: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # When the event counts as arrived for the claim order: its arrival, less
    # its priority's worth of waiting (central.queue_rules.priorities.rank_at).
    # Set while it waits; a reviewed event keeps the last one it had.
    rank_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    # clock_timestamp, not now(): rows of one ingest batch keep their order,
    # which "oldest first" relies on.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_decision: Mapped[str | None] = mapped_column(String(32))
    review_rating: Mapped[int | None] = mapped_column(SmallInteger)
    review_comment: Mapped[str | None] = mapped_column(Text)
    # The form version the current review was made with, and its further answers
    # (reason codes and fields) as `{"reasons": {...}, "fields": {...}}`.
    review_form_key: Mapped[str | None] = mapped_column(String(32))
    review_form_version: Mapped[int | None] = mapped_column(Integer)
    review_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    review_revision: Mapped[int | None] = mapped_column(Integer)  # see review_revisions
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # `escalated`: a reviewer asked for a second opinion; the region's leads claim it.
    queue: Mapped[str] = mapped_column(String(16), server_default=text("'review'"))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_by: Mapped[str | None] = mapped_column(String(64))
    escalation_note: Mapped[str | None] = mapped_column(Text)

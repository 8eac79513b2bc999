from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class SkipReason(StrEnum):
    """Why a reviewer skipped an event: a fixed list, not free text, so no one types
    personal data into it and the reasons can be counted."""

    UNCLEAR = "unclear"
    NEEDS_EXPERT = "needs_expert"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    PAYLOAD_UNAVAILABLE = "payload_unavailable"
    OTHER = "other"


class EventSkip(Base):
    """A reviewer skipped an event: the claim hands it to others first.

    Goes with the event (purge) and with the user; the audit trail keeps the history.
    """

    __tablename__ = "event_skips"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('unclear', 'needs_expert', 'conflict_of_interest', "
            "'payload_unavailable', 'other')",
            name="reason",
        ),
        # The claim looks up (user, event) for each candidate; the primary key
        # serves that. Purging an event deletes its skips by this index.
        Index("ix_event_skips_event", "event_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str | None] = mapped_column(String(32))
    skipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

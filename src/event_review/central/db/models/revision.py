from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class ReviewRevisionRow(Base):
    """One revision of an event's review: the first review, a correction, a QA verdict.

    The event's own review columns hold the latest; this keeps them all, with
    who, when, why and the form version each was made with.
    """

    __tablename__ = "review_revisions"
    __table_args__ = (
        CheckConstraint("kind IN ('review', 'correction', 'qa')", name="kind"),
        ForeignKeyConstraint(
            ["form_key", "form_version"],
            ["review_forms.form_key", "review_forms.version"],
            ondelete="RESTRICT",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    form_key: Mapped[str] = mapped_column(String(32))
    form_version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Why a correction or verdict changed the review.
    note: Mapped[str | None] = mapped_column(Text)
    # Set when the region's text policy had comment, note and text fields cleared
    # here after delivery: the region holds them.
    text_cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class QaStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    DONE = "done"


class QaVerdict(StrEnum):
    AGREE = "agree"
    CORRECT = "correct"


class QaTask(Base):
    """A review sampled for QA: claimed, leased and decided like an event, by a lead or
    QA reviewer who is never the review's author."""

    __tablename__ = "qa_tasks"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'assigned', 'done')", name="status"),
        CheckConstraint("verdict IN ('agree', 'correct')", name="verdict"),
        CheckConstraint(
            "(status = 'assigned') = "
            "(assigned_user_id IS NOT NULL AND lease_expires_at IS NOT NULL)",
            name="assignment_consistent",
        ),
        CheckConstraint("(status = 'done') = (verdict IS NOT NULL)", name="verdict_when_done"),
        # Claimed per region in order, like events: one short index scan each.
        Index(
            "ix_qa_tasks_pending_claim",
            "region_code",
            text("priority DESC"),
            "created_at",
            "task_id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_qa_tasks_assigned_user",
            "assigned_user_id",
            postgresql_where=text("status = 'assigned'"),
        ),
        Index(
            "ix_qa_tasks_assigned_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'assigned'"),
        ),
    )

    task_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # One QA per event: a review is sampled once.
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.event_id", ondelete="CASCADE"), unique=True
    )
    region_code: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    # The revision under QA and its author, who may not judge it.
    revision: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    form_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.user_id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str | None] = mapped_column(String(16))
    verdict_by: Mapped[str | None] = mapped_column(String(64))
    verdict_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # What the QA reviewer answered (their own answers, also when agreeing), and the
    # answers of the revision they judged: the pairs agreement figures are made of.
    qa_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reviewed_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class QueueRuleSet(Base):
    """One applied queue rules file (central.queue_rules.definition); the highest
    version is in force. Kept whole, never changed, so what applied when is known."""

    __tablename__ = "queue_rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # How much waiting one priority point is worth under these rules; what the
    # insert trigger ranks new events by (migration 0010).
    point_seconds: Mapped[float] = mapped_column(Float)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    applied_by: Mapped[str] = mapped_column(String(128))


class SlaBreach(Base):
    """A stretch of time one SLA measure was over its target: open while it lasts.

    At most one open breach per SLA and measure, so of two monitors that see the
    same breach one opens it (and sends its webhook), the other finds it open.
    """

    __tablename__ = "sla_breaches"
    __table_args__ = (
        Index(
            "ix_sla_breaches_open",
            "sla",
            "measure",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    breach_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    sla: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(32))  # oldest_pending | first_review
    target_seconds: Mapped[float] = mapped_column(Float)
    # The worst the measure was while the breach lasted.
    worst_seconds: Mapped[float] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class RetentionPolicy(StrEnum):
    KEEP = "keep"
    DELETE_ON_COMPLETE = "delete_on_complete"
    PURGE_AFTER_DAYS = "purge_after_days"


class ReviewTextPolicy(StrEnum):
    """Where what reviewers type (comments, notes, text fields) is kept.

    `regional`: the centre holds it only until the revision's write-back is
    delivered, then clears it; reading it afterwards asks the region.
    """

    CENTRAL = "central"
    REGIONAL = "regional"


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9-]{1,15}$'", name="code_format"),
        CheckConstraint(
            "retention_policy IN ('keep', 'delete_on_complete', 'purge_after_days')",
            name="retention_policy",
        ),
        CheckConstraint(
            "(retention_policy = 'purge_after_days') = (retention_days IS NOT NULL)",
            name="retention_days",
        ),
        CheckConstraint("review_text IN ('central', 'regional')", name="review_text"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    api_url: Mapped[str] = mapped_column(String(2048))
    retention_policy: Mapped[str] = mapped_column(String(32), server_default=text("'keep'"))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    review_text: Mapped[str] = mapped_column(String(16), server_default=text("'central'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IngestKey(Base):
    """A forwarder credential, bound to one region.

    Its own table so a region can hold two valid keys while one is rotated out.
    Keys are 256-bit random, so a SHA-256 digest is a safe, fast lookup hash.
    """

    __tablename__ = "ingest_keys"

    key_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(
        ForeignKey("regions.code", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

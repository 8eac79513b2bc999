from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Text
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class LimitBucket(Base):
    """A token bucket every replica shares: login attempts per name and per address.

    In the database, not in process memory, so N replicas allow the attempts
    of one, not N times as many.
    """

    __tablename__ = "limit_buckets"

    # "<limit>:<SHA-256 of the key>", the key being a username or a client address.
    bucket: Mapped[str] = mapped_column(Text, primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Whether the last take got a token: the one statement that takes also answers.
    allowed: Mapped[bool] = mapped_column(Boolean)

"""The regional database: full payloads live here and nowhere else.

`events` stands in for the existing regional system's table. The other tables
belong to the platform's regional services: the forwarder's queue and
rejects, the update API's idempotency records and the used call tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from event_review.regional.store.base import RegionalBase

FORWARD_CHANNEL = "event_review_forward"


class RegionalEvent(RegionalBase):
    __tablename__ = "events"

    external_event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    device_id: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    # The review in force: the highest revision received (review_revisions keeps all).
    review_decision: Mapped[str | None] = mapped_column(String(32))
    review_rating: Mapped[int | None] = mapped_column(SmallInteger)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_revision: Mapped[int | None] = mapped_column(Integer)
    review_form: Mapped[str | None] = mapped_column(String(48))  # `crash@3`
    # Reason codes and further fields: {"reasons": {...}, "fields": {...}}.
    review_answers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ReviewRevisionRecord(RegionalBase):
    """Every revision of an event's review the centre delivered, as delivered."""

    __tablename__ = "review_revisions"

    external_event_id: Mapped[str] = mapped_column(
        ForeignKey("events.external_event_id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The contract's ReviewRevision as JSON: a repeat must match it exactly.
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ForwardQueueEntry(RegionalBase):
    """Events not yet acknowledged by the centre, filled by a trigger on `events`.

    Rows are deleted once the centre has them, so the queue itself is the
    forwarder's durable checkpoint, with no gaps from out-of-order commits.
    """

    __tablename__ = "forward_queue"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_event_id: Mapped[str] = mapped_column(
        ForeignKey("events.external_event_id", ondelete="CASCADE")
    )


class ForwardReject(RegionalBase):
    """Events the centre refused as invalid: kept for an operator, not retried forever."""

    __tablename__ = "forward_rejects"

    external_event_id: Mapped[str] = mapped_column(
        ForeignKey("events.external_event_id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ReviewRequest(RegionalBase):
    """The first answer to each Idempotency-Key, replayed for repeats."""

    __tablename__ = "review_requests"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    external_event_id: Mapped[str] = mapped_column(String(200))
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class UsedCallToken(RegionalBase):
    """Ids of signed calls already served, kept until the token expires."""

    __tablename__ = "used_call_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

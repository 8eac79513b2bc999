from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class ActorType(StrEnum):
    """Who acts: a signed-in user, an operator at the command line, a region's
    forwarder, or one of the platform's own services (write-back, re-queue)."""

    USER = "user"
    OPERATOR = "operator"
    REGION = "region"
    SERVICE = "service"


class AuditAction(StrEnum):
    """Every action the audit trail records; SQL statements that write audit rows
    take their action from here too."""

    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_REFRESH_REUSE_DETECTED = "auth.refresh_reuse_detected"
    EVENT_ASSIGNED = "event.assigned"
    EVENT_LEASE_EXTENDED = "event.lease_extended"
    EVENT_COMPLETED = "event.completed"
    EVENT_CORRECTED = "event.corrected"
    EVENT_ESCALATED = "event.escalated"
    EVENT_INGESTED = "event.ingested"
    EVENT_PAYLOAD_VIEWED = "event.payload_viewed"
    EVENT_PURGED = "event.purged"
    EVENT_RELEASED = "event.released"
    EVENT_REQUEUED = "event.requeued"
    EVENT_TEXT_VIEWED = "event.review_text_viewed"
    EVENT_REVIEWED = "event.reviewed"
    EVENT_SKIPPED = "event.skipped"
    FORM_APPLIED = "form.applied"
    QA_ASSIGNED = "qa.assigned"
    QA_RELEASED = "qa.released"
    QA_REQUEUED = "qa.requeued"
    QA_VERDICT = "qa.verdict"
    QUEUE_RULES_APPLIED = "queue_rules.applied"
    REGION_ADDED = "region.added"
    REGION_INGEST_KEY_ISSUED = "region.ingest_key_issued"
    REGION_INGEST_KEYS_REVOKED = "region.ingest_keys_revoked"
    REGION_UPDATED = "region.updated"
    SEARCH_EXPORTED = "search.exported"
    SLA_BREACHED = "sla.breached"
    SLA_RECOVERED = "sla.recovered"
    STATS_EXPORTED = "stats.exported"
    SEARCH_EXPORT_DOWNLOADED = "search.export_downloaded"
    SEARCH_EXPORT_FAILED = "search.export_failed"
    SEARCH_EXPORT_QUEUED = "search.export_queued"
    TEAM_ADDED = "team.added"
    TEAM_UPDATED = "team.updated"
    USER_ACTIVATED = "user.activated"
    USER_ADDED = "user.added"
    USER_DEACTIVATED = "user.deactivated"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_PROVISIONED_BY_SSO = "user.provisioned_by_sso"
    USER_UPDATED = "user.updated"
    WEBHOOK_ADDED = "webhook.added"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_DELIVERY_FAILED = "webhook.delivery_failed"
    WEBHOOK_DELIVERY_RETRIED = "webhook.delivery_retried"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_UPDATED = "webhook.updated"
    WRITEBACK_FAILED = "writeback.failed"
    WRITEBACK_RETRIED = "writeback.retried"


# What a reviewer's history lists: what they decided, corrected, passed on or judged.
HISTORY_ACTIONS = (
    AuditAction.EVENT_REVIEWED,
    AuditAction.EVENT_CORRECTED,
    AuditAction.EVENT_SKIPPED,
    AuditAction.EVENT_ESCALATED,
    AuditAction.QA_VERDICT,
)
HISTORY_SQL = ", ".join(f"'{a.value}'" for a in HISTORY_ACTIONS)


class AuditEntry(Base):
    """Who did what to which event, and when. Never payload content.

    No foreign keys: the trail must outlive purged events and removed users.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_event_id", "event_id", postgresql_where=text("event_id IS NOT NULL")),
        Index("ix_audit_log_occurred_at", "occurred_at"),
        # A reviewer's own history, newest first; only the actions it lists, so
        # the far more frequent assignment rows cost nothing more to write.
        Index(
            "ix_audit_log_history",
            "actor",
            "occurred_at",
            "audit_id",
            postgresql_where=text(f"action IN ({HISTORY_SQL})"),
        ),
    )

    audit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_type: Mapped[str] = mapped_column(String(16))  # an ActorType
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))  # an AuditAction
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

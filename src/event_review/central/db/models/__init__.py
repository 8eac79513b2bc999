"""One module per table; importing this package registers them all on Base.metadata."""

from event_review.central.db.models.audit import ActorType, AuditAction, AuditEntry
from event_review.central.db.models.event import Event, EventStatus, Queue, ReviewDecision
from event_review.central.db.models.export import ExportChunk, ExportJob, ExportStatus
from event_review.central.db.models.form import ReviewForm
from event_review.central.db.models.limit import LimitBucket
from event_review.central.db.models.outbox import OutboxStatus, WritebackOutbox
from event_review.central.db.models.qa import QaStatus, QaTask, QaVerdict
from event_review.central.db.models.queue_rules import QueueRuleSet, SlaBreach
from event_review.central.db.models.region import (
    IngestKey,
    Region,
    RetentionPolicy,
    ReviewTextPolicy,
)
from event_review.central.db.models.revision import ReviewRevisionRow
from event_review.central.db.models.session import UserSession
from event_review.central.db.models.skip import EventSkip, SkipReason
from event_review.central.db.models.team import Team, TeamRegion
from event_review.central.db.models.user import Role, User
from event_review.central.db.models.webhook import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookKind,
    WebhookSubscription,
)

__all__ = [
    "ActorType",
    "AuditAction",
    "AuditEntry",
    "DeliveryStatus",
    "Event",
    "EventSkip",
    "EventStatus",
    "ExportChunk",
    "ExportJob",
    "ExportStatus",
    "IngestKey",
    "LimitBucket",
    "OutboxStatus",
    "QaStatus",
    "QaTask",
    "QaVerdict",
    "Queue",
    "QueueRuleSet",
    "Region",
    "RetentionPolicy",
    "ReviewDecision",
    "ReviewForm",
    "ReviewRevisionRow",
    "ReviewTextPolicy",
    "Role",
    "SkipReason",
    "SlaBreach",
    "Team",
    "TeamRegion",
    "User",
    "UserSession",
    "WebhookDelivery",
    "WebhookKind",
    "WebhookSubscription",
    "WritebackOutbox",
]

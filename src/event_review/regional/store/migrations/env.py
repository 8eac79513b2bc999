"""Alembic environment of the regional schema."""

from event_review.regional.store import models  # noqa: F401  registers the tables
from event_review.regional.store.base import RegionalBase
from event_review.runtime.migrations import run_alembic_env

run_alembic_env(RegionalBase.metadata, "event-review-migrate-regional")

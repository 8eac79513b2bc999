"""Alembic environment of the central schema."""

from event_review.central.db import models  # noqa: F401  registers the tables
from event_review.central.db.base import Base
from event_review.runtime.migrations import run_alembic_env

run_alembic_env(Base.metadata, "event-review-migrate")

"""Indexes for finding events and reviews again: per region, newest ingested, on a
device, newest reviewed, by a reviewer; and a reviewer's own history in the audit log.

Built CONCURRENTLY, outside the migration's transaction: on a platform with
millions of events a plain CREATE INDEX would block ingest and reviews for as
long as it takes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEWED = sa.text("reviewed_at IS NOT NULL")
HISTORY = sa.text(
    "action IN ('event.reviewed', 'event.corrected', 'event.skipped', 'event.escalated', "
    "'qa.verdict')"
)
INDEXES: list[tuple[str, str, list[str], sa.TextClause | None]] = [
    ("ix_events_search_ingested", "events", ["region_code", "created_at", "event_id"], None),
    (
        "ix_events_search_device", "events",
        ["region_code", "device_id", "created_at", "event_id"], None,
    ),
    (
        "ix_events_search_reviewed", "events",
        ["region_code", "reviewed_at", "event_id"], REVIEWED,
    ),
    (
        "ix_events_search_reviewer", "events",
        ["region_code", "review_user_id", "reviewed_at", "event_id"], REVIEWED,
    ),
    ("ix_audit_log_history", "audit_log", ["actor", "occurred_at", "audit_id"], HISTORY),
]  # fmt: skip


# An interrupted concurrent build leaves an invalid index behind, which would
# make the next run fail (or, with IF NOT EXISTS, keep a useless index).
INVALID = sa.text(
    "SELECT 1 FROM pg_class AS c JOIN pg_index AS i ON i.indexrelid = c.oid "
    "WHERE c.relname = :name AND NOT i.indisvalid"
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, columns, where in INDEXES:
            if op.get_bind().execute(INVALID, {"name": name}).first() is not None:
                op.drop_index(name, table_name=table, postgresql_concurrently=True)
            op.create_index(
                name, table, columns, postgresql_where=where, postgresql_concurrently=True
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, _, _ in reversed(INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)

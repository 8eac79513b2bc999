"""Central schema: regions, teams, users, sessions, events, write-back outbox, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 02:34:34.786075
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction and block traffic.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_event_id",
        "audit_log",
        ["event_id"],
        unique=False,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False)
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("api_url", sa.String(length=2048), nullable=False),
        sa.Column(
            "retention_policy",
            sa.String(length=32),
            server_default=sa.text("'keep'"),
            nullable=False,
        ),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(retention_policy = 'purge_after_days') = (retention_days IS NOT NULL)",
            name=op.f("ck_regions_retention_days"),
        ),
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9-]{1,15}$'", name=op.f("ck_regions_code_format")),
        sa.CheckConstraint(
            "retention_policy IN ('keep', 'delete_on_complete', 'purge_after_days')",
            name=op.f("ck_regions_retention_policy"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_table(
        "teams",
        sa.Column("team_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "ingest_keys",
        sa.Column("key_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_ingest_keys_region_code_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_ingest_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_ingest_keys_key_hash")),
    )
    op.create_index(
        op.f("ix_ingest_keys_region_code"), "ingest_keys", ["region_code"], unique=False
    )
    op.create_table(
        "team_regions",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_team_regions_region_code_regions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.team_id"],
            name=op.f("fk_team_regions_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "region_code", name=op.f("pk_team_regions")),
    )
    op.create_index(
        op.f("ix_team_regions_region_code"), "team_regions", ["region_code"], unique=False
    )
    op.create_table(
        "users",
        sa.Column(
            "user_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("role IN ('reviewer', 'lead', 'admin')", name=op.f("ck_users_role")),
        sa.CheckConstraint(
            "username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'", name=op.f("ck_users_username_format")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.team_id"], name=op.f("fk_users_team_id_teams"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"], unique=False)
    op.create_table(
        "events",
        sa.Column(
            "event_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "summary",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("assigned_user_id", sa.UUID(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_user_id", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_decision", sa.String(length=16), nullable=True),
        sa.Column("review_rating", sa.SmallInteger(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'assigned') = (assigned_user_id IS NOT NULL AND lease_expires_at IS NOT NULL)",
            name=op.f("ck_events_assignment_consistent"),
        ),
        sa.CheckConstraint(
            "review_decision IN ('approve', 'reject')", name=op.f("ck_events_review_decision")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'assigned', 'submitted', 'completed')",
            name=op.f("ck_events_status"),
        ),
        sa.CheckConstraint("priority BETWEEN 0 AND 100", name=op.f("ck_events_priority_range")),
        sa.CheckConstraint("review_rating BETWEEN 1 AND 5", name=op.f("ck_events_rating_range")),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"],
            ["users.user_id"],
            name=op.f("fk_events_assigned_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_events_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["review_user_id"],
            ["users.user_id"],
            name=op.f("fk_events_review_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "region_code", "external_event_id", name=op.f("uq_events_region_code_external_event_id")
        ),
    )
    op.create_index(
        "ix_events_assigned_lease",
        "events",
        ["lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.create_index(
        "ix_events_assigned_user",
        "events",
        ["assigned_user_id", "lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.create_index(
        "ix_events_pending_claim",
        "events",
        ["region_code", sa.literal_column("priority DESC"), "created_at", "event_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "sessions",
        sa.Column(
            "session_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "writeback_outbox",
        sa.Column("outbox_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column(
            "idempotency_key",
            sa.UUID(),
            server_default=sa.text("gen_random_uuid()"),
            nullable=False,
        ),
        sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name=op.f("ck_writeback_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.event_id"],
            name=op.f("fk_writeback_outbox_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_writeback_outbox_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_writeback_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_writeback_outbox_idempotency_key")),
    )
    op.create_index(
        "ix_writeback_outbox_due",
        "writeback_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_writeback_outbox_event_id"), "writeback_outbox", ["event_id"], unique=False
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(op.f("ix_writeback_outbox_event_id"), table_name="writeback_outbox")
    op.drop_index(
        "ix_writeback_outbox_due",
        table_name="writeback_outbox",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("writeback_outbox")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(
        "ix_events_pending_claim",
        table_name="events",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_events_assigned_user",
        table_name="events",
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.drop_index(
        "ix_events_assigned_lease",
        table_name="events",
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.drop_table("events")
    op.drop_index(op.f("ix_users_team_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_team_regions_region_code"), table_name="team_regions")
    op.drop_table("team_regions")
    op.drop_index(op.f("ix_ingest_keys_region_code"), table_name="ingest_keys")
    op.drop_table("ingest_keys")
    op.drop_table("teams")
    op.drop_table("regions")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log")
    op.drop_index(
        "ix_audit_log_event_id",
        table_name="audit_log",
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.drop_table("audit_log")

"""Escalation and QA: escalated events wait in a queue of their own for the region's
leads; sampled reviews wait in qa_tasks for a lead or QA reviewer; role `qa`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_COLUMNS: list[str | sa.TextClause] = [
    "region_code", sa.text("priority DESC"), "created_at", "event_id",
]  # fmt: skip


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "events",
        sa.Column(
            "queue", sa.String(length=16), server_default=sa.text("'review'"), nullable=False
        ),
    )
    op.add_column("events", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("events", sa.Column("escalated_by", sa.String(length=64), nullable=True))
    op.add_column("events", sa.Column("escalation_note", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_events_queue"), "events", "queue IN ('review', 'escalated')"
    )
    op.drop_index("ix_events_pending_claim", table_name="events")
    op.create_index(
        "ix_events_pending_claim",
        "events",
        CLAIM_COLUMNS,
        unique=False,
        postgresql_where=sa.text("status = 'pending' AND queue = 'review'"),
    )
    op.create_index(
        "ix_events_escalated_claim",
        "events",
        CLAIM_COLUMNS,
        unique=False,
        postgresql_where=sa.text("status = 'pending' AND queue = 'escalated'"),
    )
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(
        op.f("ck_users_role"), "users", "role IN ('reviewer', 'qa', 'lead', 'admin')"
    )
    op.create_table(
        "qa_tasks",
        sa.Column("task_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column("form_key", sa.String(length=32), nullable=False),
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
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("verdict_by", sa.String(length=64), nullable=True),
        sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("qa_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reviewed_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "(status = 'assigned') = "
            "(assigned_user_id IS NOT NULL AND lease_expires_at IS NOT NULL)",
            name=op.f("ck_qa_tasks_assignment_consistent"),
        ),
        sa.CheckConstraint(
            "(status = 'done') = (verdict IS NOT NULL)", name=op.f("ck_qa_tasks_verdict_when_done")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'assigned', 'done')", name=op.f("ck_qa_tasks_status")
        ),
        sa.CheckConstraint("verdict IN ('agree', 'correct')", name=op.f("ck_qa_tasks_verdict")),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"],
            ["users.user_id"],
            name=op.f("fk_qa_tasks_assigned_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.event_id"],
            name=op.f("fk_qa_tasks_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.user_id"],
            name=op.f("fk_qa_tasks_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_qa_tasks")),
        sa.UniqueConstraint("event_id", name=op.f("uq_qa_tasks_event_id")),
    )
    op.create_index(
        "ix_qa_tasks_pending_claim",
        "qa_tasks",
        ["region_code", sa.text("priority DESC"), "created_at", "task_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_qa_tasks_assigned_user",
        "qa_tasks",
        ["assigned_user_id"],
        unique=False,
        postgresql_where=sa.text("status = 'assigned'"),
    )
    op.create_index(
        "ix_qa_tasks_assigned_lease",
        "qa_tasks",
        ["lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'assigned'"),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("qa_tasks")
    op.execute("UPDATE users SET role = 'reviewer' WHERE role = 'qa'")
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(
        op.f("ck_users_role"), "users", "role IN ('reviewer', 'lead', 'admin')"
    )
    op.drop_index("ix_events_escalated_claim", table_name="events")
    op.drop_index("ix_events_pending_claim", table_name="events")
    op.create_index(
        "ix_events_pending_claim",
        "events",
        CLAIM_COLUMNS,
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_constraint(op.f("ck_events_queue"), "events", type_="check")
    op.drop_column("events", "escalation_note")
    op.drop_column("events", "escalated_by")
    op.drop_column("events", "escalated_at")
    op.drop_column("events", "queue")

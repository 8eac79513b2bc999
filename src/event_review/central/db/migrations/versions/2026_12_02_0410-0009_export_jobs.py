"""Background export jobs and their stored, expiring output.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction and block traffic.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "export_jobs",
        sa.Column("job_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sort", sa.String(length=16), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'queued'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("text_regions", postgresql.ARRAY(sa.String(length=16)), nullable=True),
        sa.Column("rows_total", sa.BigInteger(), nullable=True),
        sa.Column("rows_written", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("chunks_written", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("bytes_written", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cursor_value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor_id", sa.UUID(), nullable=True),
        sa.Column("lease_token", sa.UUID(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(cursor_value IS NULL) = (cursor_id IS NULL)",
            name=op.f("ck_export_jobs_cursor_whole"),
        ),
        sa.CheckConstraint("format IN ('csv', 'jsonl')", name=op.f("ck_export_jobs_format")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')",
            name=op.f("ck_export_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.user_id"],
            name=op.f("fk_export_jobs_requested_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_export_jobs")),
    )
    op.create_index(
        "ix_export_jobs_claimable",
        "export_jobs",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index(
        "ix_export_jobs_requester",
        "export_jobs",
        ["requested_by", "created_at", "job_id"],
        unique=False,
    )
    op.create_index(
        "ix_export_jobs_expiry",
        "export_jobs",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'done'"),
    )
    op.create_table(
        "export_chunks",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["export_jobs.job_id"],
            name=op.f("fk_export_chunks_job_id_export_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_export_chunks")),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("export_chunks")
    op.drop_index(
        "ix_export_jobs_expiry",
        table_name="export_jobs",
        postgresql_where=sa.text("status = 'done'"),
    )
    op.drop_index("ix_export_jobs_requester", table_name="export_jobs")
    op.drop_index(
        "ix_export_jobs_claimable",
        table_name="export_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_table("export_jobs")

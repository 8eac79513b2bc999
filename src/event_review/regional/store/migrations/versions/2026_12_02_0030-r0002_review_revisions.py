"""Review revisions: every revision the centre delivers is kept; the highest is in force.

Reviews recorded before are revision 1 of the default form.

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "r0002"
down_revision: str | None = "r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.alter_column(
        "events",
        "review_decision",
        existing_type=sa.String(length=16),
        type_=sa.String(length=32),
        existing_nullable=True,
    )
    op.add_column("events", sa.Column("review_revision", sa.Integer(), nullable=True))
    op.add_column("events", sa.Column("review_form", sa.String(length=48), nullable=True))
    op.add_column(
        "events",
        sa.Column("review_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_table(
        "review_revisions",
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["external_event_id"],
            ["events.external_event_id"],
            name=op.f("fk_review_revisions_external_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("external_event_id", "revision", name=op.f("pk_review_revisions")),
    )
    op.execute(
        """
        INSERT INTO review_revisions (external_event_id, revision, kind, reviewer,
                                      reviewed_at, document, recorded_at)
        SELECT external_event_id, 1, 'review', reviewed_by, reviewed_at,
               jsonb_build_object(
                   'revision', 1, 'kind', 'review', 'form_key', 'default', 'form_version', 1,
                   'decision', review_decision, 'rating', review_rating,
                   'comment', review_comment, 'reasons', '{}'::jsonb, 'fields', '{}'::jsonb,
                   'reviewer', reviewed_by, 'reviewed_at', reviewed_at, 'note', NULL
               ),
               review_recorded_at
        FROM events WHERE review_decision IS NOT NULL
        """
    )
    op.execute(
        "UPDATE events SET review_revision = 1, review_form = 'default@1', "
        """review_answers = '{"reasons": {}, "fields": {}}' WHERE review_decision IS NOT NULL"""
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("review_revisions")
    op.drop_column("events", "review_answers")
    op.drop_column("events", "review_form")
    op.drop_column("events", "review_revision")
    op.execute("UPDATE events SET review_decision = NULL WHERE length(review_decision) > 16")
    op.alter_column(
        "events",
        "review_decision",
        existing_type=sa.String(length=32),
        type_=sa.String(length=16),
        existing_nullable=True,
    )

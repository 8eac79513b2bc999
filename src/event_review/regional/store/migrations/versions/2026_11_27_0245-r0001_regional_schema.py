"""Regional schema: events with full payloads, forward queue, idempotency, call tokens.

Revision ID: r0001
Revises:
Create Date: 2026-11-27 02:45:07.730605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast rather than queue behind a long transaction and block traffic.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "events",
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("review_decision", sa.String(length=16), nullable=True),
        sa.Column("review_rating", sa.SmallInteger(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("external_event_id", name=op.f("pk_events")),
    )
    op.create_table(
        "review_requests",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_review_requests")),
    )
    op.create_table(
        "used_call_tokens",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_used_call_tokens")),
    )
    op.create_index(
        op.f("ix_used_call_tokens_expires_at"), "used_call_tokens", ["expires_at"], unique=False
    )
    op.create_table(
        "forward_queue",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["external_event_id"],
            ["events.external_event_id"],
            name=op.f("fk_forward_queue_external_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_forward_queue")),
    )
    op.create_table(
        "forward_rejects",
        sa.Column("external_event_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "rejected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["external_event_id"],
            ["events.external_event_id"],
            name=op.f("fk_forward_rejects_external_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("external_event_id", name=op.f("pk_forward_rejects")),
    )

    # Every new regional event is queued for the forwarder in the same
    # transaction, and the forwarder is woken once per inserting statement.
    op.execute(
        """
        CREATE FUNCTION enqueue_for_forwarding() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO forward_queue (external_event_id) VALUES (NEW.external_event_id);
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        """
        CREATE FUNCTION notify_forwarder() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('event_review_forward', '');
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER events_enqueue AFTER INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION enqueue_for_forwarding()"
    )
    op.execute(
        "CREATE TRIGGER events_notify AFTER INSERT ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_forwarder()"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
    op.execute("DROP TRIGGER IF EXISTS events_enqueue ON events")
    op.execute("DROP FUNCTION IF EXISTS notify_forwarder()")
    op.execute("DROP FUNCTION IF EXISTS enqueue_for_forwarding()")
    op.drop_table("forward_rejects")
    op.drop_table("forward_queue")
    op.drop_index(op.f("ix_used_call_tokens_expires_at"), table_name="used_call_tokens")
    op.drop_table("used_call_tokens")
    op.drop_table("review_requests")
    op.drop_table("events")

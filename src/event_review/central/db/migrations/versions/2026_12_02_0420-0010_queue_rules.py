"""Queue rules: priority at ingest, ageing in the claim order, SLAs and their breaches.

Events get `rank_at`, the moment they count as arrived for the claim (their
arrival less their priority's worth of waiting), filled on insert by a trigger
from the queue rules in force; the claim indexes are rebuilt on it. Only
waiting events are ranked here: a reviewed event is never claimed again.

The indexes are built CONCURRENTLY under temporary names and then take the old
names, so the claim keeps an index to walk throughout.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Without ageing, one point outweighs any wait (definition.STRICT_POINT).
STRICT_POINT = "interval '3650 days'"
WAITING = "status IN ('pending', 'assigned')"
RANKED = "rank_at IS NOT NULL"

# The one formula of the claim order, for the trigger and for re-ranking after
# the ageing changes (central.queue_rules.repository).
RANK_FUNCTION = """
CREATE FUNCTION queue_rank(arrived timestamptz, priority integer, point interval)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
RETURN arrived - priority * point
"""
# Whoever inserts an event (the ingestor, an older ingestor during an upgrade,
# a bulk load) gets it ranked by the rules in force.
RANK_TRIGGER_FUNCTION = f"""
CREATE FUNCTION events_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rank_at IS NULL THEN
        NEW.rank_at := queue_rank(
            NEW.created_at, NEW.priority,
            coalesce(
                (SELECT make_interval(secs => point_seconds) FROM queue_rule_sets
                 ORDER BY version DESC LIMIT 1),
                {STRICT_POINT}
            )
        );
    END IF;
    RETURN NEW;
END
$$
"""
RANK_TRIGGER = """
CREATE TRIGGER events_rank BEFORE INSERT ON events
FOR EACH ROW EXECUTE FUNCTION events_rank()
"""

CLAIM_INDEXES = [
    ("ix_events_pending_claim", "status = 'pending' AND queue = 'review'"),
    ("ix_events_escalated_claim", "status = 'pending' AND queue = 'escalated'"),
]
INVALID = sa.text(
    "SELECT 1 FROM pg_class AS c JOIN pg_index AS i ON i.indexrelid = c.oid "
    "WHERE c.relname = :name AND NOT i.indisvalid"
)


def _build(name: str, columns: list[str], where: str) -> None:
    # An interrupted concurrent build leaves an invalid index behind.
    if op.get_bind().execute(INVALID, {"name": name}).first() is not None:
        op.drop_index(name, table_name="events", postgresql_concurrently=True)
    op.create_index(
        name,
        "events",
        columns,
        postgresql_where=sa.text(where),
        postgresql_concurrently=True,
        if_not_exists=True,
    )


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "queue_rule_sets",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("point_seconds", sa.Float(), nullable=False),
        sa.Column(
            "applied_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("applied_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_queue_rule_sets")),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("breach_id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("sla", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("target_seconds", sa.Float(), nullable=False),
        sa.Column("worst_seconds", sa.Float(), nullable=False),
        sa.Column(
            "opened_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("breach_id", name=op.f("pk_sla_breaches")),
    )
    op.create_index(
        "ix_sla_breaches_open",
        "sla_breaches",
        ["sla", "measure"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.add_column("events", sa.Column("rank_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(RANK_FUNCTION)
    op.execute(RANK_TRIGGER_FUNCTION)
    op.execute(RANK_TRIGGER)
    op.execute(
        f"UPDATE events SET rank_at = queue_rank(created_at, priority, {STRICT_POINT}) "
        f"WHERE {WAITING}"
    )
    op.create_check_constraint(
        op.f("ck_events_ranked"), "events", f"status NOT IN ('pending', 'assigned') OR {RANKED}"
    )
    with op.get_context().autocommit_block():
        for name, where in CLAIM_INDEXES:
            _build(f"{name}_ranked", ["region_code", "rank_at", "event_id"], where)
            op.drop_index(name, table_name="events", postgresql_concurrently=True, if_exists=True)
            op.execute(f"ALTER INDEX {name}_ranked RENAME TO {name}")
        _build("ix_events_unreviewed", ["region_code", "event_type", "created_at"], WAITING)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_events_unreviewed",
            table_name="events",
            postgresql_concurrently=True,
            if_exists=True,
        )
        for name, where in CLAIM_INDEXES:
            op.create_index(
                f"{name}_priority",
                "events",
                ["region_code", sa.text("priority DESC"), "created_at", "event_id"],
                postgresql_where=sa.text(where),
                postgresql_concurrently=True,
            )
            op.drop_index(name, table_name="events", postgresql_concurrently=True)
            op.execute(f"ALTER INDEX {name}_priority RENAME TO {name}")
    op.drop_constraint(op.f("ck_events_ranked"), "events", type_="check")
    op.execute("DROP TRIGGER events_rank ON events")
    op.execute("DROP FUNCTION events_rank()")
    op.execute("DROP FUNCTION queue_rank(timestamptz, integer, interval)")
    op.drop_column("events", "rank_at")
    op.drop_index("ix_sla_breaches_open", table_name="sla_breaches")
    op.drop_table("sla_breaches")
    op.drop_table("queue_rule_sets")

"""Principal notices and shared limits: what lets many replicas act as one.

Every change that alters who a session's caller is (a session ended or
rotated, a user changed or removed, a team or its regions changed) sends a
NOTIFY on `event_review_principals` when it commits, from a trigger, so no
code path can forget it: each replica's principal cache evicts on it.
Payloads: `s:<session id>`, `u:<user id>`, or `*` (evict everything).

`limit_buckets` holds the login limits' token buckets, shared by all replicas.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "event_review_principals"

# (trigger function, table, payload, per row?)
NOTICES = (
    ("notify_session_changed", "sessions", "'s:' || OLD.session_id", True),
    ("notify_user_changed", "users", "'u:' || OLD.user_id", True),
    ("notify_teams_changed", "teams", "'*'", False),
    ("notify_team_regions_changed", "team_regions", "'*'", False),
)


def upgrade() -> None:
    op.create_table(
        "limit_buckets",
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_limit_buckets")),
    )
    op.create_index(op.f("ix_limit_buckets_updated_at"), "limit_buckets", ["updated_at"])
    for function, table, payload, per_row in NOTICES:
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', {payload});
                RETURN NULL;
            END $$
            """
        )
        # An INSERT changes no one's existing principal; updates and deletes do.
        # Team changes are rare and may touch many users: evict all, once per statement.
        events = "UPDATE OR DELETE" if per_row else "INSERT OR UPDATE OR DELETE OR TRUNCATE"
        level = "FOR EACH ROW" if per_row else "FOR EACH STATEMENT"
        op.execute(
            f"CREATE TRIGGER {function} AFTER {events} ON {table} "
            f"{level} EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    for function, table, _payload, _per_row in NOTICES:
        op.execute(f"DROP TRIGGER {function} ON {table}")
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_index(op.f("ix_limit_buckets_updated_at"), table_name="limit_buckets")
    op.drop_table("limit_buckets")

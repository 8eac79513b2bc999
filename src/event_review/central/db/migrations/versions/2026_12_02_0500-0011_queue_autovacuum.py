"""Autovacuum of the queue tables by their churn, not by their size.

Every claim and every review updates an event's status, so the old row version
is dead and its entry in the claim index (`ix_events_pending_claim`, partial
on `status = 'pending'`) points at nothing. The claim walks that index from
its head, where the claimed rows were, so it steps over every dead entry left
since the last vacuum; only VACUUM removes them. PostgreSQL's default waits
for 50 + 20 % of the table's rows in dead tuples: 400,000 on a 2-million-row
events table, 2 million on 10 million, and the claim gets slower the bigger
the table is. Here the queue tables are vacuumed after a fixed number of dead
tuples instead, whatever their size, so the dead entries the claim walks stay
bounded by the churn between two vacuums.

Only per-table storage parameters: nothing is rewritten and no row is locked.
The downgrade RESETs them to the server's defaults.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables walked from their head by a claim (events, QA tasks) or a due-scan
# (the write-back and webhook outboxes), each with FOR UPDATE SKIP LOCKED on a
# partial index that their own updates leave: every claim or delivery leaves a
# dead entry at the head. None of these updates can be HOT (the status is in
# the indexes' predicates), so each one adds an entry to every index as well.
QUEUE = {
    # A fixed threshold: vacuum after 20,000 dead tuples (about 10,000 claimed
    # and reviewed events, two row versions each), at 200,000 rows as at 10
    # million. The claim then steps over at most that many dead entries over
    # all regions, about a hundred index pages of entries it skips without a
    # heap visit, against the 1,600 pages that 200,000 of them take.
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "20000",
    # Each vacuum reads every index of the table whole (the claim's, the
    # search's), so a pass costs what the table's size does, however few dead
    # tuples it removes. 10 x the default budget (200 per 2 ms, shared with the
    # other workers) ends it before the next 20,000 dead tuples are there.
    "autovacuum_vacuum_cost_limit": "2000",
    # A vacuum that finds dead rows on fewer than 2 % of the table's pages
    # skips the indexes (index_cleanup = auto) and leaves their dead entries.
    # A first-in, first-out queue packs what it claimed on few pages: 10,000
    # claims of a 2-million-row table are on 0.5 % of it, and every vacuum of
    # a large queue would be such a vacuum. Here the indexes are the point.
    "vacuum_index_cleanup": "on",
}
# Append-only tables (a row per claim and per review in the audit log, one per
# review in the revisions) have no dead tuples to remove. Their vacuums mark
# new pages all-visible (index-only scans) and freeze them, and cost what was
# inserted since the last one: every 100,000 rows, instead of after 20 % more
# (4 million rows of a 20-million-row audit log in one pass, and in the end
# an anti-wraparound vacuum of the whole table at once).
APPEND_ONLY = {
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "100000",
}
# Statistics are left at the defaults (ANALYZE after 10 % of the rows changed):
# the claim's plan does not depend on them (the queue is a literal in it, so
# the planner proves the partial index applies), and an ANALYZE holds a
# snapshot while it samples, during which no scan can mark the entries that
# died in the meantime as dead: each claim visits their heap rows again.
TABLES = {
    "events": QUEUE,
    "writeback_outbox": QUEUE,
    "webhook_deliveries": QUEUE,
    "qa_tasks": QUEUE,
    "audit_log": APPEND_ONLY,
    "review_revisions": APPEND_ONLY,
}


def upgrade() -> None:
    # SHARE UPDATE EXCLUSIVE: reads and writes go on; a running vacuum is waited for.
    op.execute("SET LOCAL lock_timeout = '5s'")
    for table, options in TABLES.items():
        values = ", ".join(f"{name} = {value}" for name, value in options.items())
        op.execute(f"ALTER TABLE {table} SET ({values})")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    for table, options in TABLES.items():
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(options)})")

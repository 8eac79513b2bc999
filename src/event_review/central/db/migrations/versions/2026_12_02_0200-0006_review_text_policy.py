"""Each region's review-text policy: `central` keeps what reviewers type here;
`regional` clears it here once its write-back is delivered.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "regions",
        sa.Column(
            "review_text", sa.String(length=16), server_default=sa.text("'central'"),
            nullable=False,
        ),
    )  # fmt: skip
    op.create_check_constraint(
        op.f("ck_regions_review_text"), "regions", "review_text IN ('central', 'regional')"
    )
    op.add_column(
        "review_revisions",
        sa.Column("text_cleared_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("review_revisions", "text_cleared_at")
    op.drop_constraint(op.f("ck_regions_review_text"), "regions", type_="check")
    op.drop_column("regions", "review_text")

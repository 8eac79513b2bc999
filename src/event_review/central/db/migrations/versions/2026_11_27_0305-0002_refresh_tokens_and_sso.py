"""Refresh tokens and single sign-on.

Sessions keep the hash of their one valid refresh token; users signed in
through OpenID Connect are linked by issuer and subject.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("sessions", sa.Column("refresh_token_hash", sa.String(length=64), nullable=True))
    op.add_column("sessions", sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("oidc_subject", sa.String(length=512), nullable=True))
    op.create_unique_constraint(op.f("uq_users_oidc_subject"), "users", ["oidc_subject"])


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_constraint(op.f("uq_users_oidc_subject"), "users", type_="unique")
    op.drop_column("users", "oidc_subject")
    op.drop_column("sessions", "refreshed_at")
    op.drop_column("sessions", "refresh_token_hash")

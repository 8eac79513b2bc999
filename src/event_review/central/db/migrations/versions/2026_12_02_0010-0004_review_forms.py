"""Review forms and revisions: versioned, configurable forms; a review is a sequence of
revisions, each made with a form version; events hold the latest.

The built-in default (approve or reject, a 1-5 rating, an optional comment)
is version 1 of form `default`, and every review made before forms existed
was made with it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# central.forms.definition.DEFAULT_FORM as it was when this revision was written,
# in canonical JSON, and its SHA-256.
DEFAULT_DEFINITION = (
    '{"applies_to":null,"comment":{"enabled":true,"max_length":4000},"decisions":['
    '{"comment":"optional","description":null,"hotkey":"a","key":"approve","label":"Approve",'
    '"reasons":[]},{"comment":"optional","description":null,"hotkey":"r","key":"reject",'
    '"label":"Reject","reasons":[]}],"fields":[],"guidelines":null,"key":"default","qa":'
    '{"always":[],"sample_rate":0},"rating":{"labels":[],"max":5,"min":1,"required":true},'
    '"reasons":[],"title":"Review"}'
)
DEFAULT_DIGEST = "601bce1e133bbe7f61cbf334d9299fcd07c9c346026c959fcd494bfcbbba7ee6"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "review_forms",
        sa.Column("form_key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("form_key", "version", name=op.f("pk_review_forms")),
    )
    op.execute(
        sa.text(
            "INSERT INTO review_forms (form_key, version, definition, digest, created_by) "
            "VALUES ('default', 1, CAST(:definition AS jsonb), :digest, 'built-in')"
        ).bindparams(definition=DEFAULT_DEFINITION, digest=DEFAULT_DIGEST)
    )
    op.drop_constraint(op.f("ck_events_review_decision"), "events", type_="check")
    op.drop_constraint(op.f("ck_events_rating_range"), "events", type_="check")
    op.create_check_constraint(
        op.f("ck_events_rating_range"), "events", "review_rating BETWEEN 0 AND 100"
    )
    op.alter_column(
        "events",
        "review_decision",
        existing_type=sa.String(length=16),
        type_=sa.String(length=32),
        existing_nullable=True,
    )
    op.add_column("events", sa.Column("review_form_key", sa.String(length=32), nullable=True))
    op.add_column("events", sa.Column("review_form_version", sa.Integer(), nullable=True))
    op.add_column(
        "events",
        sa.Column("review_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("events", sa.Column("review_revision", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE events SET review_form_key = 'default', review_form_version = 1, "
        """review_answers = '{"reasons": {}, "fields": {}}', review_revision = 1 """
        "WHERE review_decision IS NOT NULL"
    )
    op.create_foreign_key(
        op.f("fk_events_review_form_key_review_forms"),
        "events",
        "review_forms",
        ["review_form_key", "review_form_version"],
        ["form_key", "version"],
        ondelete="RESTRICT",
    )
    op.create_table(
        "review_revisions",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("form_key", sa.String(length=32), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('review', 'correction', 'qa')", name=op.f("ck_review_revisions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.event_id"],
            name=op.f("fk_review_revisions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["form_key", "form_version"],
            ["review_forms.form_key", "review_forms.version"],
            name=op.f("fk_review_revisions_form_key_review_forms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_review_revisions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("event_id", "revision", name=op.f("pk_review_revisions")),
    )
    # Reviews made before revisions existed are revision 1 of the default form.
    op.execute(
        """
        INSERT INTO review_revisions (event_id, revision, kind, user_id, reviewer, created_at,
                                      form_key, form_version, decision, rating, comment, answers)
        SELECT e.event_id, 1, 'review', e.review_user_id, coalesce(u.username, 'unknown'),
               e.reviewed_at, 'default', 1, e.review_decision, e.review_rating,
               e.review_comment, '{"reasons": {}, "fields": {}}'::jsonb
        FROM events AS e LEFT JOIN users AS u ON u.user_id = e.review_user_id
        WHERE e.review_decision IS NOT NULL
        """
    )
    # Write-backs waiting in the outbox become v2 revisions (contracts.regional).
    op.execute(
        """
        UPDATE writeback_outbox
        SET outcome = outcome || jsonb_build_object(
            'revision', 1, 'kind', 'review', 'form_key', 'default', 'form_version', 1,
            'reasons', '{}'::jsonb, 'fields', '{}'::jsonb, 'note', NULL)
        WHERE NOT outcome ? 'revision'
        """
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute(
        "UPDATE writeback_outbox SET outcome = outcome - 'revision' - 'kind' - 'form_key' "
        "- 'form_version' - 'reasons' - 'fields' - 'note'"
    )
    op.drop_table("review_revisions")
    op.drop_constraint(op.f("fk_events_review_form_key_review_forms"), "events", type_="foreignkey")
    op.drop_column("events", "review_revision")
    op.drop_column("events", "review_answers")
    op.drop_column("events", "review_form_version")
    op.drop_column("events", "review_form_key")
    # Reviews made with other forms cannot be held by the old columns.
    op.execute(
        "UPDATE events SET review_decision = NULL, review_rating = NULL "
        "WHERE review_decision NOT IN ('approve', 'reject') OR review_rating NOT BETWEEN 1 AND 5"
    )
    op.alter_column(
        "events",
        "review_decision",
        existing_type=sa.String(length=32),
        type_=sa.String(length=16),
        existing_nullable=True,
    )
    op.drop_constraint(op.f("ck_events_rating_range"), "events", type_="check")
    op.create_check_constraint(
        op.f("ck_events_rating_range"), "events", "review_rating BETWEEN 1 AND 5"
    )
    op.create_check_constraint(
        op.f("ck_events_review_decision"), "events", "review_decision IN ('approve', 'reject')"
    )
    op.drop_table("review_forms")

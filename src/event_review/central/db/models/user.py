from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class Role(StrEnum):
    REVIEWER = "reviewer"
    QA = "qa"  # a reviewer who also checks others' reviews (QA)
    LEAD = "lead"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('reviewer', 'qa', 'lead', 'admin')", name="role"),
        CheckConstraint("username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'", name="username_format"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.team_id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # "<issuer> <subject>" of a single sign-on user; such users have no usable password.
    oidc_subject: Mapped[str | None] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from event_review.central.db.base import Base


class ReviewForm(Base):
    """One version of a review form. Versions are never changed or deleted: a review
    names the version it was made with, and stays readable by it."""

    __tablename__ = "review_forms"

    form_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The validated definition (central.forms.definition.FormDefinition), as JSON.
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Of the canonical JSON: applying an unchanged form makes no new version.
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(128))

from __future__ import annotations

from pydantic import BaseModel, Field


class RevisionText(BaseModel):
    revision: int
    source: str = Field(
        description="`central` (held here), `region` (read from the region now), or "
        "`unavailable` (cleared here, and the region no longer has it)"
    )
    comment: str | None
    note: str | None
    fields: dict[str, str] = Field(description="The form's text fields that were answered.")


class ReviewText(BaseModel):
    """What reviewers typed on one event, revision by revision."""

    policy: str = Field(description="The region's review-text policy: `central` or `regional`.")
    revisions: list[RevisionText]

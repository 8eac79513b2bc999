from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class GroupFigures(BaseModel):
    key: str = Field(description="The reviewer's username, the team's name or the region code.")
    reviews: int = Field(description="First reviews made in the period.")
    corrections: int
    skips: int
    escalations: int
    median_seconds_per_review: float | None = Field(
        description="From first opening the payload to submitting, over the reviews that "
        "opened it; null when none did."
    )
    timed_reviews: int = Field(description="The reviews the median is taken over.")
    decisions: dict[str, int] = Field(description="First reviews per decision.")
    reasons: dict[str, int] = Field(description="First reviews per `list:code`.")
    qa_judged: int = Field(description="QA verdicts in the period on the group's revisions.")
    qa_agreed: int
    qa_agreement: float | None = Field(description="qa_agreed / qa_judged.")


class Statistics(BaseModel):
    since: datetime
    until: datetime
    group_by: str
    groups: list[GroupFigures]

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from event_review.contracts.fields import LINE, RegionCode

TeamName = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]


class TeamOut(BaseModel):
    team_id: int
    name: str
    regions: list[str]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TeamName
    regions: list[RegionCode] = Field(default_factory=list, max_length=100)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TeamName | None = None
    regions: list[RegionCode] | None = Field(default=None, max_length=100)

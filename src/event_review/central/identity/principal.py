"""Who is calling: the one object authorisation decisions are made from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from event_review.central.db.models import Role
from event_review.central.identity.actor import Actor


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    role: Role
    team_id: int | None
    team_name: str | None
    region_codes: frozenset[str]
    session_id: uuid.UUID
    session_expires_at: datetime

    @property
    def actor(self) -> str:
        return self.username

    def as_actor(self) -> Actor:
        return Actor.user(self.username)

    def may_oversee(self, region_code: str) -> bool:
        """Leads and admins see every event of their team's regions, held or not."""
        return self.role in (Role.LEAD, Role.ADMIN) and region_code in self.region_codes

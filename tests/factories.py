"""Build regions, teams, users and events for tests through the real services."""

from __future__ import annotations

import functools
import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role
from event_review.central.identity.actor import Actor
from event_review.central.identity.tokens import issue_token
from event_review.central.regions import service as regions_service
from event_review.central.sessions import repository as sessions
from event_review.central.teams import repository as teams_repository
from event_review.central.teams import service as teams
from event_review.central.users import repository as users_repository
from event_review.central.users.passwords import hash_password
from event_review.regional.simulator.payloads import make_event
from event_review.regional.simulator.service import insert_events
from event_review.runtime.database import Database
from event_review.settings import Settings

PASSWORD = "correct-horse-battery"
# Who the audit trail names for what tests set up.
TEST = Actor.operator("test")
_counter = itertools.count(1)


@dataclass
class RegionHandle:
    code: str
    ingest_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ingest_key}"}


@dataclass
class UserHandle:
    username: str
    user_id: uuid.UUID
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def event_body(region: str, **overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "external_event_id": f"ext-{n}-{uuid.uuid4().hex[:6]}",
        "region_code": region,
        "event_type": "harsh_braking",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=n % 60)).isoformat(),
        "device_id": f"dev-{n % 17}",
        "priority": 0,
        "summary": {"speed_kmh": 40 + n % 50},
    }
    body.update(overrides)
    return body


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Factory:
    session: AsyncSession
    client: httpx.AsyncClient
    settings: Settings
    regions: dict[str, RegionHandle] = field(default_factory=dict)

    async def region(self, code: str) -> RegionHandle:
        if code not in self.regions:
            created = await regions_service.add_region(
                self.session, code, f"http://{code}.region.test", actor=TEST
            )
            await self.session.commit()
            self.regions[code] = RegionHandle(code, created.ingest_key)
        return self.regions[code]

    async def team(self, name: str, regions: list[str]) -> str:
        for code in regions:
            await self.region(code)
        await teams.add_team(self.session, name, regions, actor=TEST)
        await self.session.commit()
        return name

    async def user(
        self, team: str | None, role: Role = Role.REVIEWER, *, login: bool = True
    ) -> UserHandle:
        """A user with PASSWORD and, by default, a session token.

        Argon2 costs ~0.2 s per hash or check by design, so users share one
        hash and sessions are opened directly; the login route has its own tests.
        """
        username = f"user{next(_counter)}"
        team_id = None
        if team is not None:
            found = await teams_repository.get_team(self.session, team)
            assert found is not None
            team_id = found.team_id
        user = await users_repository.add_user(
            self.session, username, _password_hash(), role.value, team_id
        )
        handle = UserHandle(username, user.user_id)
        if login:
            now = datetime.now(UTC)
            expires_at = now + self.settings.access_token_lifetime
            row = await sessions.create_session(self.session, user.user_id, expires_at)
            handle.token = issue_token(
                self.settings.effective_jwt_secret,
                user_id=user.user_id,
                session_id=row.session_id,
                issued_at=now,
                expires_at=expires_at,
            )
        await self.session.commit()
        return handle

    async def login(self, username: str, password: str = PASSWORD) -> str:
        response = await self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def reviewer(self, regions: list[str], role: Role = Role.REVIEWER) -> UserHandle:
        team = await self.team(f"team{next(_counter)}", regions)
        return await self.user(team, role)

    async def ingest(self, region: str, count: int = 1, **overrides: Any) -> list[str]:
        """Ingest `count` events; returns their central event ids in ingest order."""
        handle = await self.region(region)
        bodies = [event_body(region, **overrides) for _ in range(count)]
        response = await self.client.post(
            "/api/v1/internal-ingest/events", json={"events": bodies}, headers=handle.headers
        )
        assert response.status_code == 200, response.text
        return [r["event_id"] for r in response.json()["results"]]

    async def regional_events(
        self,
        regional_db: Database,
        count: int,
        region: str = "eu",
        seed: int = 1,
        event_type: str | None = None,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Events as a region holds them, and their metadata ingested centrally.

        Returns (central event id, full regional document) pairs.
        """
        rng = random.Random(seed)
        documents = [make_event(region, rng) for _ in range(count)]
        for document in documents:
            document["event_type"] = event_type or document["event_type"]
        async with regional_db.sessionmaker() as session:
            await insert_events(session, documents)
            await session.commit()
        handle = await self.region(region)
        bodies = [
            {
                "external_event_id": d["external_event_id"],
                "region_code": region,
                "event_type": d["event_type"],
                "occurred_at": d["occurred_at"],
                "device_id": d["device_id"],
                "priority": d["priority"],
                "summary": {"severity": d["severity"]},
            }
            for d in documents
        ]
        response = await self.client.post(
            "/api/v1/internal-ingest/events", json={"events": bodies}, headers=handle.headers
        )
        assert response.status_code == 200, response.text
        ids = [r["event_id"] for r in response.json()["results"]]
        return list(zip(ids, documents, strict=True))

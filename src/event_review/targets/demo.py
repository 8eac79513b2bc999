"""Demo regions, teams and users for `event-review up`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role
from event_review.central.identity.actor import Actor
from event_review.central.regions import repository as regions_repository
from event_review.central.regions import service as regions
from event_review.central.teams import repository as teams_repository
from event_review.central.teams import service as teams
from event_review.central.users import repository as users_repository
from event_review.central.users import service as users

ACTOR = Actor.operator("up")
GLOBAL_TEAM = "global"


@dataclass
class DemoRegion:
    code: str
    api_url: str
    ingest_key: str = ""


@dataclass
class DemoSeed:
    regions: list[DemoRegion]
    users: dict[str, str] = field(default_factory=dict)  # username -> role description


async def seed(session: AsyncSession, demo_regions: list[DemoRegion], password: str) -> DemoSeed:
    """Create what is missing, refresh what persists: keys and passwords change every run.

    Ingest keys are shown only once, so each run issues fresh ones to its own
    forwarders and revokes the previous run's.
    """
    result = DemoSeed(regions=demo_regions)
    for region in demo_regions:
        existing = await regions_repository.get_region(session, region.code)
        if existing is None:
            created = await regions.add_region(session, region.code, region.api_url, actor=ACTOR)
            region.ingest_key = created.ingest_key
        else:
            existing.api_url = region.api_url  # the port may differ from the last run
            region.ingest_key = await regions.issue_ingest_key(
                session, region.code, revoke_others=True, actor=ACTOR
            )
        team = f"team-{region.code}"
        if await teams_repository.get_team(session, team) is None:
            await teams.add_team(session, team, [region.code], actor=ACTOR)
        for role in (Role.REVIEWER, Role.QA, Role.LEAD):
            username = f"{role.value}-{region.code}"
            await _ensure_user(session, username, password, role, team)
            result.users[username] = f"{role.value} for {region.code.upper()}"
    if await teams_repository.get_team(session, GLOBAL_TEAM) is None:
        await teams.add_team(session, GLOBAL_TEAM, [r.code for r in demo_regions], actor=ACTOR)
    await _ensure_user(session, "admin", password, Role.ADMIN, GLOBAL_TEAM)
    result.users["admin"] = "admin, all regions"
    return result


async def _ensure_user(
    session: AsyncSession, username: str, password: str, role: Role, team: str
) -> None:
    if await users_repository.get_user(session, username) is None:
        await users.add_user(session, username, password, role, team, actor=ACTOR)
    else:
        await users.set_password(session, username, password, actor=ACTOR)

"""The admin API of teams and the regions they review."""

from __future__ import annotations

import httpx

from tests.central.admin_api import ADMIN, admin, error_code
from tests.factories import Factory


async def test_teams_and_their_regions(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    await factory.region("us")

    created = await client.post(
        f"{ADMIN}/teams", json={"name": "Night shift", "regions": ["eu"]}, headers=boss.headers
    )
    assert created.status_code == 201, created.text
    team_id = created.json()["team_id"]
    assert created.json()["regions"] == ["eu"]

    remapped = await client.patch(
        f"{ADMIN}/teams/{team_id}", json={"regions": ["us", "eu"]}, headers=boss.headers
    )
    renamed = await client.patch(
        f"{ADMIN}/teams/{team_id}", json={"name": "Late shift"}, headers=boss.headers
    )
    cleared = await client.patch(
        f"{ADMIN}/teams/{team_id}", json={"regions": []}, headers=boss.headers
    )
    unknown_region = await client.patch(
        f"{ADMIN}/teams/{team_id}", json={"regions": ["mars"]}, headers=boss.headers
    )
    unknown_team = await client.patch(
        f"{ADMIN}/teams/999999", json={"regions": []}, headers=boss.headers
    )
    duplicate = await client.post(
        f"{ADMIN}/teams", json={"name": "Late shift"}, headers=boss.headers
    )
    extra = await client.post(
        f"{ADMIN}/teams", json={"name": "X", "members": []}, headers=boss.headers
    )

    assert remapped.status_code == 200, remapped.text
    assert remapped.json()["regions"] == ["eu", "us"]
    assert (renamed.json()["name"], renamed.json()["regions"]) == ("Late shift", ["eu", "us"])
    assert cleared.json()["regions"] == []
    assert (unknown_region.status_code, error_code(unknown_region)) == (404, "unknown_region")
    assert (unknown_team.status_code, error_code(unknown_team)) == (404, "unknown_team")
    assert (duplicate.status_code, error_code(duplicate)) == (409, "team_exists")
    assert extra.status_code == 422
    listed = await client.get(f"{ADMIN}/teams", params={"limit": 200}, headers=boss.headers)
    assert {"team_id": team_id, "name": "Late shift", "regions": []} in listed.json()["items"]


async def test_a_remapped_team_claims_from_its_new_regions(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    me = (await client.get("/api/v1/auth/me", headers=reviewer.headers)).json()
    await factory.ingest("us", 1)
    teams = (await client.get(f"{ADMIN}/teams", params={"limit": 200}, headers=boss.headers)).json()
    team_id = next(t["team_id"] for t in teams["items"] if t["name"] == me["team"])

    await client.patch(f"{ADMIN}/teams/{team_id}", json={"regions": ["us"]}, headers=boss.headers)
    batch = await client.post(
        "/api/v1/assignments/next-batch", json={"size": 5}, headers=reviewer.headers
    )

    assert [e["region_code"] for e in batch.json()["events"]] == ["us"]

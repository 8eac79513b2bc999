"""Who may use the admin API (regions, teams, users, audit), and what it does with ids and pages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from event_review.central.db.models import Role
from tests.central.admin_api import ADMIN, admin, error_code
from tests.factories import PASSWORD, Factory

# Every admin-only operation, with a body it would accept.
ADMIN_WRITES = [
    ("POST", f"{ADMIN}/regions", {"code": "zz", "api_url": "https://zz.example.com"}),
    ("PATCH", f"{ADMIN}/regions/eu", {"api_url": "https://eu2.example.com"}),
    ("POST", f"{ADMIN}/regions/eu/ingest-keys", {}),
    ("POST", f"{ADMIN}/teams", {"name": "Night shift", "regions": ["eu"]}),
    ("PATCH", f"{ADMIN}/teams/1", {"regions": ["eu"]}),
    ("POST", f"{ADMIN}/users", {"username": "newbie", "password": PASSWORD, "team": "x"}),
    ("PATCH", f"{ADMIN}/users/{uuid.uuid4()}", {"role": "lead"}),
    ("POST", f"{ADMIN}/users/{uuid.uuid4()}/deactivate", None),
    ("POST", f"{ADMIN}/users/{uuid.uuid4()}/activate", None),
    ("POST", f"{ADMIN}/users/{uuid.uuid4()}/password", {"password": PASSWORD}),
]
ADMIN_READS = [f"{ADMIN}/users", f"{ADMIN}/audit"]
OVERSEER_READS = [f"{ADMIN}/regions", f"{ADMIN}/teams"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_WRITES)
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.LEAD])
async def test_writes_need_the_admin_role(
    client: httpx.AsyncClient,
    factory: Factory,
    role: Role,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    user = await factory.reviewer(["eu"], role)

    response = await client.request(method, path, json=body, headers=user.headers)

    assert response.status_code == 403, response.text
    assert error_code(response) == "role_required"


@pytest.mark.parametrize("path", ADMIN_READS + OVERSEER_READS)
async def test_reviewers_may_read_nothing(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    reviewer = await factory.reviewer(["eu"])
    response = await client.get(path, headers=reviewer.headers)
    assert response.status_code == 403
    assert error_code(response) == "role_required"


async def test_leads_read_regions_and_teams_but_not_users_or_audit(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    lead = await factory.reviewer(["eu"], Role.LEAD)

    for path in OVERSEER_READS:
        assert (await client.get(path, headers=lead.headers)).status_code == 200, path
    for path in ADMIN_READS:
        assert (await client.get(path, headers=lead.headers)).status_code == 403, path


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ADMIN}/regions")
    assert response.status_code == 401
    assert error_code(response) == "missing_token"


async def test_lists_are_paged_and_capped(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)  # creates region eu
    for code in ("r-a", "r-b", "r-c"):
        await factory.region(code)

    first = await client.get(f"{ADMIN}/regions", params={"limit": 2}, headers=boss.headers)
    second = await client.get(
        f"{ADMIN}/regions", params={"limit": 2, "offset": 2}, headers=boss.headers
    )
    too_many = await client.get(f"{ADMIN}/regions", params={"limit": 201}, headers=boss.headers)
    negative = await client.get(f"{ADMIN}/regions", params={"offset": -1}, headers=boss.headers)

    assert first.status_code == 200
    assert [r["code"] for r in first.json()["items"]] == ["eu", "r-a"]
    assert (first.json()["limit"], first.json()["offset"], first.json()["has_more"]) == (2, 0, True)
    assert [r["code"] for r in second.json()["items"]] == ["r-b", "r-c"]
    assert second.json()["has_more"] is False
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"][0]["loc"] == ["query", "limit"]
    assert negative.status_code == 422


async def test_ids_out_of_range_are_invalid_not_server_errors(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)

    huge = await client.patch(f"{ADMIN}/teams/{2**40}", json={}, headers=boss.headers)
    long_code = await client.patch(f"{ADMIN}/regions/{'x' * 65}", json={}, headers=boss.headers)

    assert huge.status_code == 422
    assert huge.json()["error"]["details"][0]["loc"] == ["path", "team_id"]
    assert long_code.status_code == 422


async def test_admin_changes_are_audited(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    await client.post(f"{ADMIN}/users/{reviewer.user_id}/deactivate", headers=boss.headers)

    trail = await client.get(
        f"{ADMIN}/audit", params={"action": "user.deactivated"}, headers=boss.headers
    )

    entry = trail.json()["items"][0]
    assert (entry["actor_type"], entry["actor"]) == ("user", boss.username)
    assert entry["details"] == {"username": reviewer.username, "sessions_revoked": 1}

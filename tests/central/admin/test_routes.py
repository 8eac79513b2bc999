"""The admin API: regions, teams, users and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Role, UserSession
from event_review.central.ingest.keys import digest
from tests.factories import PASSWORD, Factory, UserHandle

ADMIN = "/api/v1/admin"

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


async def admin(factory: Factory) -> UserHandle:
    return await factory.reviewer(["eu"], Role.ADMIN)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# -- roles ---------------------------------------------------------------------


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


# -- regions -------------------------------------------------------------------


async def test_creating_a_region_returns_its_ingest_key_once(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    boss = await admin(factory)

    created = await client.post(
        f"{ADMIN}/regions",
        json={"code": " JP ", "api_url": "https://jp.example.com/"},
        headers=boss.headers,
    )

    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert (body["code"], body["api_url"]) == ("jp", "https://jp.example.com")
    key = body["ingest_key"]
    assert key.startswith("erk_")
    # The key works for the new region's forwarder...
    ingest = await client.post(
        "/api/v1/internal-ingest/event",
        json={
            "external_event_id": "jp-1",
            "region_code": "jp",
            "event_type": "harsh_braking",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert ingest.status_code == 201, ingest.text
    # ...and is never shown again: lists carry no key, the database only a digest.
    listed = await client.get(f"{ADMIN}/regions", headers=boss.headers)
    assert "ingest_key" not in listed.text
    assert key not in listed.text
    audit = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "region.added"))
    ).all()
    assert key not in str([a.details for a in audit])
    assert digest(key) not in str([a.details for a in audit])
    assert (audit[-1].actor_type, audit[-1].actor) == ("user", boss.username)


async def test_region_validation(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    await factory.region("eu")

    unknown_field = await client.post(
        f"{ADMIN}/regions",
        json={"code": "jp", "api_url": "https://jp.example.com", "ingest_key": "mine"},
        headers=boss.headers,
    )
    bad_code = await client.post(
        f"{ADMIN}/regions", json={"code": "1x", "api_url": "https://x.test"}, headers=boss.headers
    )
    bad_url = await client.post(
        f"{ADMIN}/regions", json={"code": "jp", "api_url": "ftp://jp"}, headers=boss.headers
    )
    missing = await client.post(f"{ADMIN}/regions", json={"code": "jp"}, headers=boss.headers)
    duplicate = await client.post(
        f"{ADMIN}/regions", json={"code": "eu", "api_url": "https://x.test"}, headers=boss.headers
    )

    assert unknown_field.status_code == 422
    assert unknown_field.json()["error"]["details"][0]["loc"] == ["body", "ingest_key"]
    assert unknown_field.json()["error"]["details"][0]["type"] == "extra_forbidden"
    assert (bad_code.status_code, error_code(bad_code)) == (422, "invalid_region_code")
    assert (bad_url.status_code, error_code(bad_url)) == (422, "invalid_api_url")
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == ["body", "api_url"]
    assert (duplicate.status_code, error_code(duplicate)) == (409, "region_exists")


async def test_updating_a_region(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    await factory.region("eu")

    moved = await client.patch(
        f"{ADMIN}/regions/eu", json={"api_url": "https://eu-2.example.com"}, headers=boss.headers
    )
    purging = await client.patch(
        f"{ADMIN}/regions/EU",
        json={"retention_policy": "purge_after_days", "retention_days": 30},
        headers=boss.headers,
    )
    inconsistent = await client.patch(
        f"{ADMIN}/regions/eu", json={"retention_policy": "keep", "retention_days": 3},
        headers=boss.headers,
    )  # fmt: skip
    unknown = await client.patch(
        f"{ADMIN}/regions/xx", json={"api_url": "https://x.test"}, headers=boss.headers
    )
    negative = await client.patch(
        f"{ADMIN}/regions/eu", json={"retention_days": -1}, headers=boss.headers
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["api_url"] == "https://eu-2.example.com"
    assert moved.json()["retention_policy"] == "keep"
    assert purging.status_code == 200, purging.text
    assert (purging.json()["retention_policy"], purging.json()["retention_days"]) == (
        "purge_after_days",
        30,
    )
    assert purging.json()["api_url"] == "https://eu-2.example.com"
    assert (inconsistent.status_code, error_code(inconsistent)) == (422, "invalid_retention")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_region")
    assert negative.status_code == 422


async def test_rotating_an_ingest_key(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    old = await factory.region("eu")

    issued = await client.post(
        f"{ADMIN}/regions/eu/ingest-keys", json={"revoke_others": True}, headers=boss.headers
    )

    assert issued.status_code == 201, issued.text
    assert issued.json()["revoked_others"] is True
    new_key = issued.json()["ingest_key"]
    body = {
        "external_event_id": f"rot-{uuid.uuid4().hex[:6]}",
        "region_code": "eu",
        "event_type": "harsh_braking",
        "occurred_at": "2026-01-01T00:00:00Z",
    }
    refused = await client.post("/api/v1/internal-ingest/event", json=body, headers=old.headers)
    accepted = await client.post(
        "/api/v1/internal-ingest/event", json=body, headers={"Authorization": f"Bearer {new_key}"}
    )
    assert refused.status_code == 401
    assert accepted.status_code == 201


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


# -- teams ---------------------------------------------------------------------


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


# -- users ---------------------------------------------------------------------


async def test_creating_and_listing_users(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    team = await factory.team("Day shift", ["eu"])

    created = await client.post(
        f"{ADMIN}/users",
        json={"username": "Nadia", "password": PASSWORD, "role": "lead", "team": team},
        headers=boss.headers,
    )
    assert created.status_code == 201, created.text
    assert "password" not in created.text
    body = created.json()
    assert (body["username"], body["role"], body["team"], body["is_active"]) == (
        "nadia", "lead", team, True,
    )  # fmt: skip
    assert await factory.login("nadia")  # the password works

    found = await client.get(f"{ADMIN}/users", params={"q": "nad"}, headers=boss.headers)
    assert [u["username"] for u in found.json()["items"]] == ["nadia"]
    weak = await client.post(
        f"{ADMIN}/users",
        json={"username": "weak", "password": "short", "team": team},
        headers=boss.headers,
    )
    teamless = await client.post(
        f"{ADMIN}/users", json={"username": "lonely", "password": PASSWORD}, headers=boss.headers
    )
    duplicate = await client.post(
        f"{ADMIN}/users",
        json={"username": "nadia", "password": PASSWORD, "team": team},
        headers=boss.headers,
    )
    bad_role = await client.post(
        f"{ADMIN}/users",
        json={"username": "x1", "password": PASSWORD, "role": "root", "team": team},
        headers=boss.headers,
    )
    extra = await client.post(
        f"{ADMIN}/users",
        json={"username": "x2", "password": PASSWORD, "team": team, "is_active": False},
        headers=boss.headers,
    )
    assert (weak.status_code, error_code(weak)) == (422, "weak_password")
    assert (teamless.status_code, error_code(teamless)) == (422, "team_required")
    assert (duplicate.status_code, error_code(duplicate)) == (409, "user_exists")
    assert bad_role.status_code == 422
    assert bad_role.json()["error"]["details"][0]["loc"] == ["body", "role"]
    assert extra.status_code == 422


async def test_user_pages_and_filters(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    team = await factory.team("Paging", ["eu"])
    for _ in range(3):
        await factory.user(team, login=False)

    page = await client.get(f"{ADMIN}/users", params={"limit": 2}, headers=boss.headers)
    everyone: list[str] = []
    offset = 0
    while True:
        response = await client.get(
            f"{ADMIN}/users", params={"limit": 2, "offset": offset}, headers=boss.headers
        )
        everyone += [u["username"] for u in response.json()["items"]]
        if not response.json()["has_more"]:
            break
        offset += 2

    assert len(page.json()["items"]) == 2
    assert page.json()["has_more"] is True
    assert everyone == sorted(everyone)
    assert len(everyone) == len(set(everyone)) >= 4
    wildcard = await client.get(f"{ADMIN}/users", params={"q": "%"}, headers=boss.headers)
    assert wildcard.json()["items"] == []


async def test_deactivating_a_user_revokes_their_sessions(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    second_token = await factory.login(reviewer.username)
    assert (await client.get("/api/v1/auth/me", headers=reviewer.headers)).status_code == 200

    response = await client.post(
        f"{ADMIN}/users/{reviewer.user_id}/deactivate", headers=boss.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    sessions = (
        await session.scalars(select(UserSession).where(UserSession.user_id == reviewer.user_id))
    ).all()
    assert len(sessions) == 2
    assert all(s.revoked_at is not None for s in sessions)
    for token in (reviewer.token, second_token):
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
        assert error_code(me) == "session_revoked"
    login = await client.post(
        "/api/v1/auth/login", json={"username": reviewer.username, "password": PASSWORD}
    )
    assert login.status_code == 401
    inactive = await client.get(f"{ADMIN}/users", params={"active": False}, headers=boss.headers)
    assert reviewer.username in [u["username"] for u in inactive.json()["items"]]

    reactivated = await client.post(
        f"{ADMIN}/users/{reviewer.user_id}/activate", headers=boss.headers
    )
    assert reactivated.json()["is_active"] is True
    assert await factory.login(reviewer.username)


async def test_resetting_a_password_ends_the_old_sessions(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])

    reset = await client.post(
        f"{ADMIN}/users/{reviewer.user_id}/password",
        json={"password": "a-brand-new-password"},
        headers=boss.headers,
    )
    weak = await client.post(
        f"{ADMIN}/users/{reviewer.user_id}/password", json={"password": "x"}, headers=boss.headers
    )

    assert reset.status_code == 200, reset.text
    assert (weak.status_code, error_code(weak)) == (422, "weak_password")
    assert (await client.get("/api/v1/auth/me", headers=reviewer.headers)).status_code == 401
    assert await factory.login(reviewer.username, "a-brand-new-password")


async def test_changing_role_and_team(client: httpx.AsyncClient, factory: Factory) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    other = await factory.team("Other team", ["eu"])

    promoted = await client.patch(
        f"{ADMIN}/users/{reviewer.user_id}", json={"role": "lead", "team": other},
        headers=boss.headers,
    )  # fmt: skip
    teamless = await client.patch(
        f"{ADMIN}/users/{reviewer.user_id}", json={"team": None}, headers=boss.headers
    )
    admin_without_team = await client.patch(
        f"{ADMIN}/users/{reviewer.user_id}", json={"role": "admin", "team": None},
        headers=boss.headers,
    )  # fmt: skip
    unknown_team = await client.patch(
        f"{ADMIN}/users/{reviewer.user_id}", json={"team": "nope"}, headers=boss.headers
    )
    unknown_user = await client.patch(
        f"{ADMIN}/users/{uuid.uuid4()}", json={"role": "lead"}, headers=boss.headers
    )

    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["role"], promoted.json()["team"]) == ("lead", other)
    assert (teamless.status_code, error_code(teamless)) == (422, "team_required")
    assert admin_without_team.status_code == 200
    assert (admin_without_team.json()["role"], admin_without_team.json()["team"]) == (
        "admin",
        None,
    )
    assert (unknown_team.status_code, error_code(unknown_team)) == (404, "unknown_team")
    assert (unknown_user.status_code, error_code(unknown_user)) == (404, "unknown_user")


async def test_an_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)

    deactivate = await client.post(f"{ADMIN}/users/{boss.user_id}/deactivate", headers=boss.headers)
    demote = await client.patch(
        f"{ADMIN}/users/{boss.user_id}", json={"role": "reviewer"}, headers=boss.headers
    )

    assert (deactivate.status_code, error_code(deactivate)) == (409, "cannot_change_self")
    assert (demote.status_code, error_code(demote)) == (409, "cannot_change_self")
    assert (await client.get("/api/v1/auth/me", headers=boss.headers)).status_code == 200


# -- audit log -----------------------------------------------------------------


async def test_the_audit_log_is_filtered_and_paged(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)
    reviewer = await factory.reviewer(["eu"])
    event_ids = await factory.ingest("eu", 2)
    await client.post("/api/v1/assignments/next-batch", json={"size": 2}, headers=reviewer.headers)
    await client.post(
        f"/api/v1/events/{event_ids[0]}/review",
        json={"decision": "approve", "rating": 4},
        headers=reviewer.headers,
    )

    by_event = await client.get(
        f"{ADMIN}/audit", params={"event_id": event_ids[0]}, headers=boss.headers
    )
    by_actor = await client.get(
        f"{ADMIN}/audit", params={"actor": reviewer.username}, headers=boss.headers
    )
    by_action = await client.get(
        f"{ADMIN}/audit",
        params={"action": "event.reviewed", "actor": reviewer.username},
        headers=boss.headers,
    )
    family = await client.get(
        f"{ADMIN}/audit", params={"action": "event.", "event_id": event_ids[1]},
        headers=boss.headers,
    )  # fmt: skip
    first = await client.get(f"{ADMIN}/audit", params={"limit": 1}, headers=boss.headers)
    bad_id = await client.get(f"{ADMIN}/audit", params={"event_id": "x"}, headers=boss.headers)

    assert by_event.status_code == 200, by_event.text
    # Newest first.
    assert [e["action"] for e in by_event.json()["items"]] == [
        "event.reviewed",
        "event.assigned",
        "event.ingested",
    ]
    assert {e["actor"] for e in by_actor.json()["items"]} == {reviewer.username}
    assert {e["action"] for e in by_actor.json()["items"]} == {"event.assigned", "event.reviewed"}
    reviewed = by_action.json()["items"]
    assert len(reviewed) == 1
    assert reviewed[0]["event_id"] == event_ids[0]
    assert reviewed[0]["details"] == {"decision": "approve", "rating": 4}
    assert [e["action"] for e in family.json()["items"]] == ["event.assigned", "event.ingested"]
    assert len(first.json()["items"]) == 1
    assert first.json()["has_more"] is True
    assert bad_id.status_code == 422


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


async def test_ids_out_of_range_are_invalid_not_server_errors(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    boss = await admin(factory)

    huge = await client.patch(f"{ADMIN}/teams/{2**40}", json={}, headers=boss.headers)
    long_code = await client.patch(f"{ADMIN}/regions/{'x' * 65}", json={}, headers=boss.headers)

    assert huge.status_code == 422
    assert huge.json()["error"]["details"][0]["loc"] == ["path", "team_id"]
    assert long_code.status_code == 422

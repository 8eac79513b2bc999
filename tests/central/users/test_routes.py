"""The admin API of users: creation, lists, roles and teams, deactivation, passwords."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import UserSession
from tests.central.admin_api import ADMIN, admin, error_code
from tests.factories import PASSWORD, Factory


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

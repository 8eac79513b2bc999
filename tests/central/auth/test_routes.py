from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.auth import cookie
from event_review.central.db.models import Role, User, UserSession
from event_review.central.identity.tokens import ALGORITHM, AUDIENCE, ISSUER, issue_token, key_id
from event_review.settings import Settings
from tests.central.auth.cookies import refresh_cookie, refresh_cookie_attributes
from tests.factories import PASSWORD, Factory

ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"

# Every route that needs a user token, with a body it would accept.
USER_ROUTES = [
    ("GET", "/api/v1/auth/me", None),
    ("POST", "/api/v1/auth/logout", None),
    ("POST", "/api/v1/assignments/next-batch", {"size": 1}),
    ("GET", "/api/v1/assignments", None),
    ("GET", f"/api/v1/events/{uuid.uuid4()}", None),
    ("POST", f"/api/v1/events/{uuid.uuid4()}/release", None),
    ("POST", f"/api/v1/events/{uuid.uuid4()}/review", {"decision": "approve", "rating": 3}),
]


async def test_login_returns_a_bearer_token_for_a_session(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.reviewer(["eu"])

    response = await client.post(LOGIN, json={"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at > datetime.now(UTC)
    me = await client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["role"] == "reviewer"
    assert me.json()["regions"] == ["eu"]


async def test_usernames_are_case_insensitive_at_login(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.reviewer(["eu"])
    response = await client.post(
        LOGIN, json={"username": user.username.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "inactive"])
async def test_failed_logins_look_alike(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, case: str
) -> None:
    user = await factory.reviewer(["eu"])
    username, password = user.username, PASSWORD
    if case == "wrong_password":
        password = "not-the-password"
    elif case == "unknown_user":
        username = "nobody-here"
    else:
        await session.execute(
            update(User).where(User.user_id == user.user_id).values(is_active=False)
        )
        await session.commit()

    response = await client.post(LOGIN, json={"username": username, "password": password})

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_credentials",
        "message": "wrong username or password",
    }


async def test_login_refuses_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"username": "a", "password": "b", "role": "admin"})
    assert response.status_code == 422


async def test_logout_revokes_the_session_at_once(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.reviewer(["eu"])
    other_login = await factory.login(user.username)

    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 204

    response = await client.get(ME, headers=user.headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_revoked"
    # Only that session ended: another login of the same user still works.
    other = await client.get(ME, headers={"Authorization": f"Bearer {other_login}"})
    assert other.status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), USER_ROUTES)
async def test_user_routes_need_a_token(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize(("method", "path", "body"), USER_ROUTES)
async def test_user_routes_refuse_a_revoked_token(
    client: httpx.AsyncClient,
    factory: Factory,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    user = await factory.reviewer(["eu"])
    await client.post("/api/v1/auth/logout", headers=user.headers)

    response = await client.request(method, path, json=body, headers=user.headers)

    assert response.status_code == 401


def _forge(secret: str, **claims: object) -> str:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    base.update(claims)
    claims = {k: v for k, v in base.items() if v is not None}
    return jwt.encode(claims, secret, ALGORITHM, headers={"kid": key_id(secret)})


async def test_bad_tokens_are_refused(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    user = await factory.reviewer(["eu"])
    real = jwt.decode(user.token, options={"verify_signature": False})
    secret = settings.effective_jwt_secret
    header, _payload, signature = user.token.split(".")
    tampered_payload = jwt.encode({**real, "sub": str(uuid.uuid4())}, "x" * 32).split(".")[1]
    expired_at = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    cases = {
        "malformed": "not-a-jwt",
        "wrong signature": jwt.encode(
            real, "another-secret-" + "z" * 32, ALGORITHM, headers={"kid": key_id(secret)}
        ),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "alg none": jwt.encode(real, None, algorithm="none"),  # type: ignore[arg-type]
        # Expiry is only news once the signature holds.
        "expired, wrong signature": jwt.encode(
            {**real, "exp": expired_at},
            "another-secret-" + "z" * 32,
            ALGORITHM,
            headers={"kid": key_id(secret)},
        ),
        "wrong audience": _forge(secret, sub=real["sub"], sid=real["sid"], aud="elsewhere"),
        "wrong issuer": _forge(secret, sub=real["sub"], sid=real["sid"], iss="elsewhere"),
        "no exp": _forge(secret, sub=real["sub"], sid=real["sid"], exp=None),
        "unknown session": _forge(secret, sub=real["sub"]),
        "session of another user": _forge(secret, sid=real["sid"]),
        "not a uuid": _forge(secret, sub="admin", sid=real["sid"]),
    }
    for name, token in cases.items():
        response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "invalid_token", name
    assert (await client.get(ME, headers=user.headers)).status_code == 200


async def test_an_expired_access_token_says_so(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    """Its own code, so a client refreshes instead of sending the user to log in."""
    user = await factory.reviewer(["eu"])
    real = jwt.decode(user.token, options={"verify_signature": False})
    expired_at = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    token = _forge(settings.effective_jwt_secret, sub=real["sub"], sid=real["sid"], exp=expired_at)

    response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_expired_session_is_refused_even_with_a_valid_token(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    user = await factory.reviewer(["eu"])
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.user_id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()

    response = await client.get(ME, headers=user.headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


async def test_deactivated_user_is_refused_at_once(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    user = await factory.reviewer(["eu"])
    await session.execute(update(User).where(User.user_id == user.user_id).values(is_active=False))
    await session.commit()

    response = await client.get(ME, headers=user.headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_inactive"


async def test_identity_never_comes_from_a_plain_header(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.user(None, Role.ADMIN)
    headers = {"X-User": admin.username, "X-User-Id": str(admin.user_id), "X-Role": "admin"}
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401


async def test_token_signed_with_the_configured_secret_only(settings: Settings) -> None:
    now = datetime.now(UTC)
    token = issue_token(
        settings.effective_jwt_secret,
        user_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        issued_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-" + "q" * 32, algorithms=["HS256"], audience=AUDIENCE)


async def test_refresh_rotates_and_detects_reuse(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    user = await factory.reviewer(["eu"])
    login = (
        await client.post(LOGIN, json={"username": user.username, "password": PASSWORD})
    ).json()
    lifetime = datetime.fromisoformat(login["expires_at"]) - datetime.now(UTC)
    assert lifetime <= settings.access_token_lifetime
    assert datetime.fromisoformat(login["refresh_expires_at"]) > datetime.fromisoformat(
        login["expires_at"]
    )

    first = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != login["refresh_token"]
    me = await client.get(ME, headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 200

    # The old refresh token again: someone else has it. The whole session ends.
    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert (reuse.status_code, reuse.json()["error"]["code"]) == (401, "refresh_token_reused")
    after = await client.get(ME, headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert after.json()["error"]["code"] == "session_revoked"
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert again.status_code == 401


@pytest.mark.parametrize(
    "token", ["", "nonsense", f"{uuid.uuid4()}.short", f"{uuid.uuid4()}." + "x" * 40]
)
async def test_bad_refresh_tokens_are_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert response.status_code in (401, 422)


async def test_logout_ends_refresh_too(client: httpx.AsyncClient, factory: Factory) -> None:
    user = await factory.reviewer(["eu"])
    login = (
        await client.post(LOGIN, json={"username": user.username, "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    await client.post("/api/v1/auth/logout", headers=headers)
    response = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert response.status_code == 401


async def test_jwt_secret_rotation_honours_the_previous_secret(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, settings: Settings
) -> None:
    user = await factory.reviewer(["eu"])  # token signed with the current secret
    new_secret = SecretStr("rotated-jwt-secret-" + "n" * 32)
    app.state.settings = settings.model_copy(
        update={"jwt_secret": new_secret, "jwt_previous_secrets": settings.jwt_secret}
    )
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    app.state.settings = settings.model_copy(update={"jwt_secret": new_secret})
    retired = await client.get(ME, headers=user.headers)
    assert (retired.status_code, retired.json()["error"]["code"]) == (401, "invalid_token")


REFRESH = "/api/v1/auth/refresh"


async def _cookie_login(client: httpx.AsyncClient, username: str) -> httpx.Response:
    response = await client.post(
        LOGIN, json={"username": username, "password": PASSWORD, "refresh_cookie": True}
    )
    assert response.status_code == 200, response.text
    return response


def _with_cookie(token: str) -> dict[str, str]:
    # Sent by hand: the test client speaks plain HTTP, and the cookie is Secure.
    return {"Cookie": f"{cookie.NAME}={token}"}


async def test_a_cookie_login_keeps_the_refresh_token_out_of_reach_of_scripts(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    user = await factory.reviewer(["eu"])

    response = await _cookie_login(client, user.username)

    assert response.json()["refresh_token"] is None
    attributes = refresh_cookie_attributes(response)
    assert attributes["httponly"]
    assert attributes["secure"]
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/api/v1/auth/refresh"
    max_age = int(attributes["max-age"])
    assert settings.session_lifetime.total_seconds() - 60 < max_age
    assert max_age <= settings.session_lifetime.total_seconds()


async def test_a_cookie_refresh_rotates_the_cookie_and_detects_reuse(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.reviewer(["eu"])
    first = refresh_cookie(await _cookie_login(client, user.username))

    refreshed = await client.post(REFRESH, headers=_with_cookie(first))

    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] is None
    second = refresh_cookie(refreshed)
    assert second != first
    token = refreshed.json()["access_token"]
    assert (await client.get(ME, headers={"Authorization": f"Bearer {token}"})).status_code == 200
    # Two tabs racing with one cookie look exactly like a stolen token: the session ends,
    # and the dead cookie is cleared.
    reused = await client.post(REFRESH, headers=_with_cookie(first))
    assert (reused.status_code, reused.json()["error"]["code"]) == (401, "refresh_token_reused")
    assert refresh_cookie_attributes(reused)["max-age"] == "0"
    after = await client.post(REFRESH, headers=_with_cookie(second))
    assert (after.status_code, after.json()["error"]["code"]) == (401, "session_revoked")


async def test_a_refresh_without_any_token_says_log_in(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH)

    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_logged_in")


async def test_a_refresh_body_wins_over_a_cookie(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """API clients keep their token in the body, and get the new one there."""
    user = await factory.reviewer(["eu"])
    login = (
        await client.post(LOGIN, json={"username": user.username, "password": PASSWORD})
    ).json()

    response = await client.post(
        REFRESH,
        json={"refresh_token": login["refresh_token"]},
        headers=_with_cookie("stale-cookie-value"),
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"]
    assert not response.headers.get_list("set-cookie")


async def test_logout_clears_the_refresh_cookie_and_ends_the_session(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    user = await factory.reviewer(["eu"])
    login = await _cookie_login(client, user.username)
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    logout = await client.post("/api/v1/auth/logout", headers=headers)

    assert logout.status_code == 204
    assert refresh_cookie_attributes(logout)["max-age"] == "0"
    refused = await client.post(REFRESH, headers=_with_cookie(refresh_cookie(login)))
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "session_revoked")
    assert refresh_cookie_attributes(refused)["max-age"] == "0"

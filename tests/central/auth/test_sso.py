"""Single sign-on against a real OpenID Connect provider process on loopback."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from event_review.central.auth import cookie
from event_review.central.auth.oidc import OidcClient
from event_review.central.db.models import Role
from event_review.settings import Settings
from tests.central.auth.cookies import refresh_cookie
from tests.factories import Factory
from tests.fixtures.processes import free_port, process_group

CLIENT_ID = "event-review-test"
CALLBACK = "http://testserver/api/v1/auth/oidc/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    with process_group(tmp_path_factory.mktemp("oidc")) as group:
        mock = group.start(
            "oidc-provider", "--port", str(port), "--require-nonce",
            env=os.environ, port=port, command=(sys.executable, "-m", "oidc_provider_mock"),
        )  # fmt: skip
        mock.wait_http(f"{mock.base_url}/.well-known/openid-configuration", timeout=30)
        yield mock.base_url


@pytest.fixture
async def sso(app: FastAPI, settings: Settings, provider: str) -> AsyncIterator[Settings]:
    configured = settings.model_copy(
        update={
            "oidc_issuer": provider,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr("client-secret"),
            "oidc_redirect_url": CALLBACK,
        }
    )
    app.state.settings = configured
    async with httpx.AsyncClient(trust_env=False) as http:
        app.state.oidc = OidcClient(configured, http)
        yield configured


async def provider_user(provider: str, sub: str, **claims: Any) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{provider}/users/{sub}", json=claims)
        assert response.status_code == 204


async def sign_in(client: httpx.AsyncClient, sub: str, *, return_to: str = "/") -> httpx.Response:
    """Walk the browser's path: our login → provider consent → our callback."""
    start = await client.get("/api/v1/auth/oidc/login", params={"return_to": return_to})
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    async with httpx.AsyncClient() as browser:
        consent = await browser.post(authorize, data={"sub": sub})
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return await client.get(f"{back.path}?{back.query}")


def tokens_from(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    return {key: values[0] for key, values in parse_qs(location.fragment).items()}


@pytest.mark.usefixtures("sso")
async def test_sso_creates_the_user_from_claims_and_opens_a_session(
    client: httpx.AsyncClient, factory: Factory, provider: str
) -> None:
    team = await factory.team("sso-eu-team", ["eu"])
    await provider_user(
        provider,
        "alice-sub",
        preferred_username="Alice.SSO",
        event_review_role="reviewer",
        event_review_team=team,
    )

    response = await sign_in(client, "alice-sub", return_to="/queue")

    assert urlsplit(response.headers["location"]).path == "/queue"
    assert response.headers["cache-control"] == "no-store"
    tokens = tokens_from(response)
    assert tokens["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"], me.json()["regions"]) == (
        "alice.sso",
        "reviewer",
        ["eu"],
    )
    # The refresh token never rides in a URL: it is the web client's cookie.
    assert "refresh_token" not in tokens
    refresh_token = refresh_cookie(response)
    refreshed = await client.post(
        "/api/v1/auth/refresh", headers={"Cookie": f"{cookie.NAME}={refresh_token}"}
    )
    assert refreshed.status_code == 200


@pytest.mark.usefixtures("sso")
async def test_the_provider_stays_the_source_of_roles(
    client: httpx.AsyncClient, factory: Factory, provider: str
) -> None:
    team = await factory.team("sso-role-team", ["eu", "us"])
    claims = {"preferred_username": "bob-sso", "event_review_team": team}
    await provider_user(provider, "bob-sub", event_review_role="reviewer", **claims)
    await sign_in(client, "bob-sub")
    await provider_user(provider, "bob-sub", event_review_role="lead", **claims)

    tokens = tokens_from(await sign_in(client, "bob-sub"))

    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["role"] == "lead"


@pytest.mark.usefixtures("sso")
async def test_the_authorization_request_uses_pkce_and_a_nonce(client: httpx.AsyncClient) -> None:
    start = await client.get("/api/v1/auth/oidc/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [CALLBACK]
    assert len(query["nonce"][0]) >= 32
    cookie = start.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/api/v1/auth/oidc" in cookie


@pytest.mark.usefixtures("sso")
@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        (
            {"event_review_team": "nope-team", "event_review_role": "reviewer"},
            403,
            "sso_unknown_team",
        ),
        ({"event_review_role": "superuser"}, 403, "sso_no_role"),
        ({"event_review_role": "reviewer"}, 403, "sso_no_team"),
    ],
)
async def test_claims_that_map_to_nothing_are_refused(
    client: httpx.AsyncClient,
    provider: str,
    claims: dict[str, str],
    status: int,
    code: str,
) -> None:
    await provider_user(provider, f"odd-{code}", preferred_username=f"odd-{code}", **claims)

    response = await sign_in(client, f"odd-{code}")

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.usefixtures("sso")
async def test_sso_cannot_take_over_a_local_account(
    client: httpx.AsyncClient, factory: Factory, provider: str
) -> None:
    local = await factory.reviewer(["eu"])
    await provider_user(
        provider, "mallory", preferred_username=local.username, event_review_role="admin"
    )

    response = await sign_in(client, "mallory")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "sso_username_taken")


@pytest.mark.usefixtures("sso")
async def test_a_forged_callback_is_refused(client: httpx.AsyncClient) -> None:
    no_cookie = await client.get("/api/v1/auth/oidc/callback", params={"state": "x", "code": "y"})
    assert no_cookie.json()["error"]["code"] == "sso_login_expired"
    await client.get("/api/v1/auth/oidc/login")  # sets the login cookie
    wrong_state = await client.get(
        "/api/v1/auth/oidc/callback", params={"state": "not-the-state", "code": "y"}
    )
    assert wrong_state.json()["error"]["code"] == "sso_state_mismatch"
    refused = await client.get("/api/v1/auth/oidc/callback", params={"error": "access_denied"})
    assert refused.status_code == 400


@pytest.mark.usefixtures("sso")
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "queue"])
async def test_return_to_must_stay_on_this_site(client: httpx.AsyncClient, target: str) -> None:
    response = await client.get("/api/v1/auth/oidc/login", params={"return_to": target})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_return_to")


async def test_sso_is_off_unless_configured(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/auth/oidc/login")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "sso_disabled")


async def test_password_login_can_be_switched_off(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, settings: Settings
) -> None:
    user = await factory.user(await factory.team("pw-team", ["eu"]), Role.REVIEWER)
    app.state.settings = settings.model_copy(update={"password_login": False})

    response = await client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": "whatever-pw"}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (
        403,
        "password_login_disabled",
    )

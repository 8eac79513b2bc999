from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from event_review.central.db.models import Role
from event_review.runtime.limits import DEFAULT_MAX_BODY
from tests.factories import Factory, event_body

LOGIN = "/api/v1/auth/login"


async def test_declared_oversize_body_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        LOGIN,
        content=b"{" + b" " * DEFAULT_MAX_BODY + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.headers["x-request-id"]


async def test_streamed_oversize_body_is_cut_off(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"username": "'
        for _ in range(100):
            yield b"x" * 4096
        yield b'"}'

    response = await client.post(
        LOGIN, content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_large_ingest_batch_fits_its_own_cap(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    eu = await factory.region("eu")
    events = [event_body("eu", summary={"note": "n" * 3000}) for _ in range(1000)]

    response = await client.post(
        "/api/v1/internal-ingest/events", json={"events": events}, headers=eu.headers
    )

    assert response.status_code == 200, response.text[:300]
    assert response.json()["created"] == 1000


async def test_a_single_ingest_has_a_small_cap(client: httpx.AsyncClient, factory: Factory) -> None:
    eu = await factory.region("eu")
    response = await client.post(
        "/api/v1/internal-ingest/event",
        json=event_body("eu", summary={"note": "n" * 20_000}),
        headers=eu.headers,
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 30_000 + b"]" * 30_000,  # deeper than the JSON parser recurses
        b'{"username": "a", "password": ' + b'"' + b"\\u0000" * 5000 + b'"}',
        b"\xff\xfe not json",
        b'{"username": ["a"], "password": {"b": 1}}',
    ],
)
async def test_hostile_json_is_a_4xx_never_a_500(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        LOGIN, content=content, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text[:200]
    assert "error" in response.json()


async def test_values_postgres_cannot_hold_are_a_422(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin_user = await factory.reviewer(["eu"], Role.ADMIN)
    too_big = await client.post(
        f"/api/v1/admin/writebacks/{2**70}/retry", headers=admin_user.headers
    )
    lone_surrogate = await client.post(
        "/api/v1/auth/login",
        content=b'{"username": "a\\udb5b", "password": "b"}',
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 422
    assert lone_surrogate.status_code in (401, 422)

from __future__ import annotations

import httpx
from fastapi import FastAPI

from event_review.central import metrics
from event_review.central.db.models import Role
from event_review.central.regional_client import RegionalClient
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.settings import Settings
from tests.factories import Factory
from tests.fixtures.metrics import sample


async def test_request_ids_are_returned_and_made_when_missing(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await client.get("/healthz")
    hostile_id = "<script>" + "y" * 300
    hostile = await client.get("/healthz", headers={"X-Request-ID": hostile_id})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != hostile_id
    assert len(hostile.headers["x-request-id"]) == 32


async def test_metrics_use_route_templates_and_domain_counters(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """Counters are process-wide: compared before and after, so any test order holds."""

    async def scrape() -> str:
        metrics._STATE["refreshed_at"] = 0.0  # the gauges' cache is per process
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return response.text

    before = await scrape()
    reviewer = await factory.reviewer(["eu"])
    await factory.ingest("eu", 3)
    missing = "00000000-0000-0000-0000-000000000000"
    await client.get(f"/api/v1/events/{missing}", headers=reviewer.headers)
    await client.post("/api/v1/assignments/next-batch", json={"size": 1}, headers=reviewer.headers)
    after = await scrape()

    def grew(name: str, **labels: str) -> float:
        return (sample(after, name, **labels) or 0) - (sample(before, name, **labels) or 0)

    assert missing not in after  # ids never become label values
    assert (
        grew(
            "event_review_http_request_duration_seconds_count",
            route="/api/v1/events/{event_id}",
            status="404",
        )
        == 1
    )
    assert grew("event_review_ingested_events_total", region="eu", outcome="created") == 3
    assert grew("event_review_claim_duration_seconds_count") == 1
    assert grew("event_review_claimed_events_total") == 1
    assert sample(after, "event_review_events", region="eu", status="pending") == 2
    assert sample(after, "event_review_events", region="eu", status="assigned") == 1
    oldest = sample(after, "event_review_oldest_pending_age_seconds", region="eu")
    assert oldest is not None
    assert oldest >= 0


async def test_the_request_id_reaches_the_region(
    client: httpx.AsyncClient,
    factory: Factory,
    regional_app: FastAPI,
    app: FastAPI,
    settings: Settings,
    regional_db: Database,
) -> None:
    seen: list[str | None] = []
    regional = httpx.ASGITransport(app=regional_app)

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("x-request-id"))
            return await regional.handle_async_request(request)

    app.state.regional_client = RegionalClient(
        httpx.AsyncClient(transport=Recording()), signing_key(settings)
    )
    lead = await factory.reviewer(["eu"], Role.LEAD)
    [(event_id, _)] = await factory.regional_events(regional_db, 1)

    response = await client.get(
        f"/api/v1/events/{event_id}/payload",
        headers={**lead.headers, "X-Request-ID": "trace-me-42"},
    )

    assert response.status_code == 200
    assert seen == ["trace-me-42"]


async def test_security_headers_on_every_answer(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/healthz"),
        await client.get("/api/v1/auth/me"),  # a 401
        await client.post("/api/v1/auth/login", content=b"{"),  # a 4xx from the framework
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "strict-transport-security" not in response.headers  # plain HTTP here


async def test_hsts_only_over_tls(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://review.test") as tls:
        response = await tls.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")

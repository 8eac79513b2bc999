"""The dashboard API: counts per region and status, and the pygal charts."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role
from tests.factories import Factory, UserHandle

DASHBOARD = "/api/v1/admin/dashboard"
REVIEWS_CHART = f"{DASHBOARD}/charts/reviews-per-hour.svg"
LAG_CHART = f"{DASHBOARD}/charts/writeback-lag.svg"
ROUTES = [DASHBOARD, REVIEWS_CHART, LAG_CHART]


async def busy_platform(client: httpx.AsyncClient, factory: Factory) -> UserHandle:
    """eu: 1 pending, 1 assigned, 1 submitted; us: 2 pending. Returns the eu reviewer."""
    reviewer = await factory.reviewer(["eu"])
    eu = await factory.ingest("eu", 3)
    await factory.ingest("us", 2)
    claimed = await client.post(
        "/api/v1/assignments/next-batch", json={"size": 2}, headers=reviewer.headers
    )
    assert [e["event_id"] for e in claimed.json()["events"]] == eu[:2]
    reviewed = await client.post(
        f"/api/v1/events/{eu[0]}/review",
        json={"decision": "reject", "rating": 2},
        headers=reviewer.headers,
    )
    assert reviewed.status_code == 200, reviewed.text
    return reviewer


@pytest.mark.parametrize("path", ROUTES)
async def test_reviewers_may_not_see_the_dashboard(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    reviewer = await factory.reviewer(["eu"])

    refused = await client.get(path, headers=reviewer.headers)
    anonymous = await client.get(path)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "role_required"
    assert anonymous.status_code == 401


async def test_an_admin_sees_every_region_by_status(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await busy_platform(client, factory)
    await factory.region("apac")  # no events yet: listed with zeros
    boss = await factory.reviewer(["eu"], Role.ADMIN)

    response = await client.get(DASHBOARD, headers=boss.headers)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["scope"] is None
    regions = {r["region_code"]: r for r in body["regions"]}
    assert [regions["eu"][s] for s in ("pending", "assigned", "submitted", "completed")] == [
        1, 1, 1, 0,
    ]  # fmt: skip
    assert [regions["us"][s] for s in ("pending", "assigned", "submitted", "completed")] == [
        2, 0, 0, 0,
    ]  # fmt: skip
    assert regions["apac"]["pending"] == 0
    assert regions["apac"]["oldest_pending_seconds"] is None
    assert regions["eu"]["oldest_pending_seconds"] >= 0
    assert regions["eu"]["oldest_pending_at"] is not None
    assert body["totals"]["pending"] >= 3
    assert body["writebacks"]["pending"] >= 1
    assert body["writebacks"]["oldest_pending_seconds"] >= 0
    assert body["reviews_last_hour"] >= 1


async def test_a_lead_reads_the_dashboard_of_their_regions_only(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await busy_platform(client, factory)
    lead = await factory.reviewer(["eu"], Role.LEAD)

    response = await client.get(DASHBOARD, headers=lead.headers)
    chart = await client.get(REVIEWS_CHART, headers=lead.headers)
    writes = await client.post(DASHBOARD, headers=lead.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == ["eu"]
    assert [r["region_code"] for r in body["regions"]] == ["eu"]
    assert body["totals"]["submitted"] == body["regions"][0]["submitted"] >= 1
    assert body["writebacks"]["pending"] >= 1
    assert chart.status_code == 200
    assert ">EU<" in chart.text
    assert ">US<" not in chart.text
    assert writes.status_code == 405


async def test_reviews_per_hour_is_a_pygal_svg_without_scripts(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await busy_platform(client, factory)
    boss = await factory.reviewer(["eu"], Role.ADMIN)

    response = await client.get(REVIEWS_CHART, headers=boss.headers)
    week = await client.get(REVIEWS_CHART, params={"hours": 168}, headers=boss.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    svg = response.text
    assert svg.startswith("<svg")
    assert "pygal" in svg
    assert "Reviews per hour" in svg
    assert ">EU<" in svg
    assert ">US<" in svg
    # Nothing that would run, nor anything fetched from elsewhere.
    assert "<script" not in svg
    assert not re.search(r"https?://(?!www\.w3\.org)", svg)
    assert week.status_code == 200


@pytest.mark.parametrize("hours", ["0", "169", "many"])
async def test_chart_windows_are_bounded(
    client: httpx.AsyncClient, factory: Factory, hours: str
) -> None:
    boss = await factory.reviewer(["eu"], Role.ADMIN)
    response = await client.get(REVIEWS_CHART, params={"hours": hours}, headers=boss.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["query", "hours"]


async def test_writeback_lag_chart(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession
) -> None:
    await busy_platform(client, factory)
    boss = await factory.reviewer(["eu"], Role.ADMIN)

    before = await client.get(LAG_CHART, headers=boss.headers)
    # As the write-back worker would record a delivery 3 s after the review.
    await session.execute(
        text(
            "UPDATE writeback_outbox SET status = 'delivered', "
            "delivered_at = created_at + interval '3 seconds' WHERE status = 'pending'"
        )
    )
    after = await client.get(LAG_CHART, headers=boss.headers)
    summary = await client.get(DASHBOARD, headers=boss.headers)

    assert before.status_code == 200
    assert "No write-backs delivered yet" in before.text
    assert after.status_code == 200
    assert after.headers["content-type"] == "image/svg+xml"
    assert "Write-back lag" in after.text
    assert ">average<" in after.text
    assert ">slowest<" in after.text
    assert "<script" not in after.text
    assert summary.json()["writeback_lag_last_hour_seconds"] == pytest.approx(3.0)
    assert summary.json()["writebacks"]["pending"] == 0

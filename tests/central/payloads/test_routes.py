from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import AuditEntry, Event, Role
from event_review.central.regional_client import RegionalClient
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.settings import Settings
from tests.factories import Factory, UserHandle

NEXT = "/api/v1/assignments/next-batch"


def payload_url(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/payload"


async def holder_of_one(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database
) -> tuple[UserHandle, str, dict[str, object]]:
    reviewer = await factory.reviewer(["eu"])
    [(event_id, document)] = await factory.regional_events(regional_db, 1)
    batch = (await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)).json()
    assert [e["event_id"] for e in batch["events"]] == [event_id]
    return reviewer, event_id, document


@pytest.mark.usefixtures("regional_app")
async def test_holder_gets_the_regional_payload_unstored(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database, session: AsyncSession
) -> None:
    reviewer, event_id, document = await holder_of_one(client, factory, regional_db)

    response = await client.get(payload_url(event_id), headers=reviewer.headers)

    assert response.status_code == 200, response.text
    assert response.json() == document
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-data-region"] == "eu"
    audit = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "event.payload_viewed"))
    ).all()
    assert [(str(a.event_id), a.actor) for a in audit] == [(event_id, reviewer.username)]
    canary = str(document["compliance_canary"])
    dump = await session.scalar(
        text(
            "SELECT string_agg(t::text, ' ') FROM ("
            "SELECT to_jsonb(e)::text AS t FROM events e UNION ALL "
            "SELECT to_jsonb(a)::text FROM audit_log a UNION ALL "
            "SELECT to_jsonb(o)::text FROM writeback_outbox o) AS rows"
        )
    )
    assert dump is not None
    assert event_id in dump
    assert canary not in dump


@pytest.mark.usefixtures("regional_app")
async def test_leads_of_the_region_read_without_holding(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database
) -> None:
    [(event_id, document)] = await factory.regional_events(regional_db, 1)
    lead = await factory.reviewer(["eu"], Role.LEAD)
    admin = await factory.reviewer(["eu", "us"], Role.ADMIN)

    for user in (lead, admin):
        response = await client.get(payload_url(event_id), headers=user.headers)
        assert response.status_code == 200
        assert response.json()["compliance_canary"] == document["compliance_canary"]


@pytest.mark.usefixtures("regional_app")
async def test_everyone_else_gets_404(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database, session: AsyncSession
) -> None:
    _, event_id, _ = await holder_of_one(client, factory, regional_db)
    peer = await factory.reviewer(["eu"])
    us_reviewer = await factory.reviewer(["us"])
    us_lead = await factory.reviewer(["us"], Role.LEAD)

    for user in (peer, us_reviewer, us_lead):
        response = await client.get(payload_url(event_id), headers=user.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "event_not_found"
    # An unknown id answers exactly like a refused one: nothing tells them apart.
    unknown = await client.get(payload_url(str(uuid.uuid4())), headers=peer.headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "event_not_found"
    viewed = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "event.payload_viewed")
    )
    assert viewed == 0


@pytest.mark.usefixtures("regional_app")
async def test_expired_lease_loses_payload_access(
    client: httpx.AsyncClient, factory: Factory, regional_db: Database, session: AsyncSession
) -> None:
    reviewer, event_id, _ = await holder_of_one(client, factory, regional_db)
    await session.execute(
        update(Event)
        .where(Event.event_id == uuid.UUID(event_id))
        .values(lease_expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()

    response = await client.get(payload_url(event_id), headers=reviewer.headers)

    assert response.status_code == 404


def _regional_failure(app: FastAPI, settings: Settings, handler: httpx.MockTransport) -> None:
    """Point the centre's region client at a failing upstream (fault injection only)."""
    http = httpx.AsyncClient(transport=handler)
    app.state.regional_client = RegionalClient(http, signing_key(settings))


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("connect", 502, "region_unreachable"),
        ("timeout", 504, "region_timeout"),
        ("404", 502, "region_event_missing"),
        ("401", 502, "region_refused"),
        ("500", 502, "region_error"),
    ],
)
async def test_regional_failures_map_to_clear_gateway_errors(
    client: httpx.AsyncClient,
    factory: Factory,
    regional_db: Database,
    app: FastAPI,
    settings: Settings,
    failure: str,
    status: int,
    code: str,
) -> None:
    reviewer, event_id, _ = await holder_of_one(client, factory, regional_db)

    def fail(request: httpx.Request) -> httpx.Response:
        if failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(int(failure), json={"error": {"code": "x", "message": "x"}})

    _regional_failure(app, settings, httpx.MockTransport(fail))

    response = await client.get(payload_url(event_id), headers=reviewer.headers)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "eu" in response.json()["error"]["message"]


@pytest.mark.usefixtures("regional_app")
async def test_oversized_payload_is_refused(
    client: httpx.AsyncClient,
    factory: Factory,
    regional_db: Database,
    app: FastAPI,
    settings: Settings,
) -> None:
    reviewer, event_id, document = await holder_of_one(client, factory, regional_db)
    app.state.settings = settings.model_copy(update={"payload_max_bytes": 1024})
    assert len(json.dumps(document)) > 1024

    response = await client.get(payload_url(event_id), headers=reviewer.headers)

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payload_too_large"

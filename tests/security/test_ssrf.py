"""SSRF over real sockets: the centre calls only the URL its regions table holds.

The centre's calls to regions leave through a real HTTP client to real
servers on loopback: the region's API, registered in the regions table, and a
trap that records everything it receives. Every request parameter and header
a caller controls is pointed at the trap. The region must see exactly the
calls the operation needs, the trap must see none. An in-process transport
would route by app, not by host, and could not tell the two apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from event_review.central.db.models import Role
from event_review.central.regional_client import RegionalClient
from event_review.central.regions import service as regions
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.status import InLoopServer
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.factories import TEST, Factory, RegionHandle
from tests.fixtures.processes import free_port
from tests.security.openapi_requests import Request, operations, slots

NEXT = "/api/v1/assignments/next-batch"


class Recorder:
    """An ASGI wrapper that keeps the path of every request its app receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


async def _trap_app(scope: Scope, _receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"trapped": true}'})


@dataclass
class Network:
    region_url: str
    trap_url: str
    region: Recorder
    trap: Recorder
    servers: list[InLoopServer] = field(default_factory=list)


async def _serve(app: ASGIApp, port: int) -> InLoopServer:
    server = InLoopServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server


@pytest.fixture
async def network(
    settings: Settings, regional_db: Database, app: FastAPI
) -> AsyncIterator[Network]:
    regional_app = SERVERS["regional-api"].build(settings, regional_db, "eu")
    region_port, trap_port = free_port(), free_port()
    found = Network(
        f"http://127.0.0.1:{region_port}",
        f"http://127.0.0.1:{trap_port}",
        Recorder(regional_app),
        Recorder(_trap_app),
    )
    found.servers = [await _serve(found.region, region_port), await _serve(found.trap, trap_port)]
    async with httpx.AsyncClient(trust_env=False, timeout=10.0) as real_sockets:
        app.state.regional_client = RegionalClient(real_sockets, signing_key(settings))
        yield found
    for server in found.servers:
        server.should_exit = True
    await asyncio.sleep(0.2)


async def _region_at(session: AsyncSession, factory: Factory, url: str) -> None:
    """Region eu, registered with the real server's URL (the factory's default is fake)."""
    created = await regions.add_region(session, "eu", url, actor=TEST)
    await session.commit()
    factory.regions["eu"] = RegionHandle("eu", created.ingest_key)


async def test_the_payload_comes_from_the_registered_region_whatever_the_request_says(
    client: httpx.AsyncClient,
    factory: Factory,
    regional_db: Database,
    session: AsyncSession,
    network: Network,
) -> None:
    await _region_at(session, factory, network.region_url)
    reviewer = await factory.reviewer(["eu"])
    [(event_id, document)] = await factory.regional_events(regional_db, 1)
    claimed = await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
    assert [e["event_id"] for e in claimed.json()["events"]] == [event_id]
    trap_host = network.trap_url.removeprefix("http://")

    response = await client.get(
        f"/api/v1/events/{event_id}/payload",
        params={"url": network.trap_url, "api_url": network.trap_url, "region": network.trap_url},
        headers={
            **reviewer.headers,
            "Host": trap_host,
            "X-Forwarded-Host": trap_host,
            "Forwarded": f"host={trap_host}",
            "Referer": network.trap_url,
        },
    )

    assert response.status_code == 200, response.text
    assert response.json() == document
    assert network.trap.paths == []
    assert network.region.paths == [f"/regional/v1/events/{document['external_event_id']}"]


async def test_no_operation_calls_a_url_it_was_given(
    client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    app: FastAPI,
    network: Network,
) -> None:
    """Every string of every central operation set to the trap's URL, one at a time."""
    await _region_at(session, factory, network.region_url)
    admin_user = await factory.reviewer(["eu"], Role.ADMIN)
    region = factory.regions["eu"]
    spec = app.openapi()
    credentials = {
        "user": admin_user.headers,
        "region-ingest-key": region.headers,
    }
    tried = 0
    for op in operations("all", spec):
        if op.path.endswith(("/logout", "/deactivate", "/password")):
            continue  # would end the admin's session halfway through
        rule = next((r for r in ("region-ingest-key", "user") if r in op.access), None)
        valid = Request.valid(op)
        for slot in slots(op):
            if slot.kind != "string":
                continue
            request = valid.with_value(slot, network.trap_url)
            args = request.send_args()
            args["headers"] = {**(credentials[rule] if rule else {}), **args["headers"]}
            response = await client.request(op.method, request.url, **args)
            assert response.status_code < 500, f"{op.id} {slot.label}: {response.text[:200]}"
            assert network.trap.paths == [], f"{op.id} {slot.label} made the centre call it"
            tried += 1
    assert tried > 20

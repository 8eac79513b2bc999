"""Webhook fixtures: a real receiver on loopback, and the platform around it.

The receiver is a real HTTP server (uvicorn, in the test's event loop), so a
delivery crosses a real socket through the worker's own HTTP client, address
pinning and all. Tests allow loopback receivers the way an operator allows an
internal network: EVENT_REVIEW_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from event_review.central.db.models import Role, WebhookKind
from event_review.central.webhooks.delivery import WebhookWorker, http_client
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.runtime.status import InLoopServer
from event_review.settings import Settings
from event_review.targets.registry import SERVERS
from tests.factories import Factory, UserHandle
from tests.fixtures.processes import free_port

ALLOWED = "127.0.0.1/32"
ADMIN_WEBHOOKS = "/api/v1/admin/webhooks"
NEXT = "/api/v1/assignments/next-batch"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; answers with the next of `statuses` (then 200)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    server: InLoopServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/event-review"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, b"".join(chunks)))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def serve(app: Any, port: int) -> InLoopServer:
    server = InLoopServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(free_port())
    found.server = await serve(found, found.port)
    yield found
    found.server.should_exit = True
    await asyncio.sleep(0.2)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback receivers allowed; quick retries, few of them."""
    return settings.model_copy(
        update={
            "webhook_allowed_networks": ALLOWED,
            "webhook_backoff_seconds": 0.0001,
            "webhook_max_attempts": 3,
            "webhook_timeout_seconds": 2.0,
        }
    )


async def subscribe(
    client: httpx.AsyncClient, admin: UserHandle, url: str, **body: Any
) -> dict[str, Any]:
    body.setdefault("kinds", [k.value for k in WebhookKind])
    response = await client.post(ADMIN_WEBHOOKS, json={"url": url, **body}, headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def reviewed(
    client: httpx.AsyncClient,
    reviewer: UserHandle,
    event_id: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    claimed = await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
    assert [e["event_id"] for e in claimed.json()["events"]] == [event_id], claimed.text
    response = await client.post(
        f"/api/v1/events/{event_id}/review",
        json=body or {"decision": "approve", "rating": 4, "comment": "fine"},
        headers=reviewer.headers,
    )
    return response


@dataclass
class Stack:
    """The `all` app and the webhook worker on a committed database of the test's own."""

    central: Database
    client: httpx.AsyncClient
    factory: Factory
    settings: Settings
    http: httpx.AsyncClient

    def worker(self, settings: Settings | None = None) -> WebhookWorker:
        return WebhookWorker(self.central.sessionmaker, self.http, settings or self.settings)

    async def admin(self) -> UserHandle:
        return await self.factory.reviewer(["eu"], Role.ADMIN)


@pytest.fixture
async def stack(fresh_db: ServerLocation, settings: Settings) -> AsyncIterator[Stack]:
    central = Database.connect(fresh_db, application_name="test-webhooks")
    app = SERVERS["all"].build(settings, central)
    async with (
        central.sessionmaker() as session,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
        http_client(settings) as http,
    ):
        yield Stack(central, client, Factory(session, client, settings), settings, http)
    await central.dispose()

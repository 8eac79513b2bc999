"""Build the FastAPI application of a central target from its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI

from event_review.central.auth.oidc import OidcClient
from event_review.central.db.migrate import CENTRAL_SCHEMA
from event_review.central.limits import CentralLimits
from event_review.central.metrics import refresh_gauges
from event_review.central.regional_client import RegionalClient
from event_review.runtime.app import create_service_app
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings


def regional_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one client for calls to regions: bounded timeouts, no redirects, no env proxies.

    Idle connections are dropped before the regional server's keep-alive timeout
    (uvicorn's 5 s) would close them under a request about to be sent.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.regional_timeout_seconds, connect=5.0),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(
            max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0
        ),
    )


def create_app(
    settings: Settings,
    *,
    name: str,
    routers: Sequence[APIRouter],
    calls_regions: bool = False,
    location: ServerLocation | None = None,
    database: Database | None = None,
) -> FastAPI:
    key = signing_key(settings) if calls_regions else None

    @asynccontextmanager
    async def resources(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if key is not None:
                http = await stack.enter_async_context(regional_http_client(settings))
                app.state.regional_client = RegionalClient(http, key)
            if settings.oidc_enabled:
                sso_http = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=httpx.Timeout(10.0), trust_env=False)
                )
                app.state.oidc = OidcClient(settings, sso_http)
            yield

    app = create_service_app(
        settings,
        name=name,
        title=f"Event Review Platform — {name}",
        routers=routers,
        schema=CENTRAL_SCHEMA,
        location=location,
        database=database,
        resources=resources,
        metrics_refreshers=[refresh_gauges],
    )
    app.state.limits = CentralLimits.from_settings(settings)
    return app

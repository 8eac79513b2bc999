"""How each HTTP server of the registry is built: its routers, what it holds, its lifespan.

A server either connects to its database when it starts (`serve`) or is
handed one already open (`up`, tests); either way the lifespan is the one in
targets/lifecycle.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI

from event_review.central.auth.oidc import OidcClient
from event_review.central.identity.cache import CHANNEL as PRINCIPAL_CHANNEL
from event_review.central.identity.cache import PrincipalCache
from event_review.central.limits import CentralLimits
from event_review.central.metrics import refresh_gauges
from event_review.central.regional_client import RegionalClient
from event_review.contracts.ingest import (
    INGEST_BATCH_MAX_BODY,
    INGEST_BATCH_PATH,
    INGEST_EVENT_MAX_BODY,
    INGEST_EVENT_PATH,
)
from event_review.regional.api.calls import RegionalContext
from event_review.runtime.app import Lifespan, build_app
from event_review.runtime.database import Database
from event_review.runtime.keys import signing_key, verification_keys
from event_review.runtime.notifications import Listener
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings
from event_review.targets.clients import regional_http_client
from event_review.targets.lifecycle import SCHEMAS, Side, connected

# A server's database: where to connect at start-up, or one already open.
DatabaseSource = ServerLocation | Database | None

CENTRAL_BODY_LIMITS = (
    (INGEST_BATCH_PATH, INGEST_BATCH_MAX_BODY),
    (INGEST_EVENT_PATH, INGEST_EVENT_MAX_BODY),
)


def _lifespan(name: str, side: Side, source: DatabaseSource, hold: Lifespan | None) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if isinstance(source, ServerLocation):
                # Servers skip the pre-ping: with asyncpg it is a round trip on every
                # checkout; a dead connection costs one 503 instead (runtime.errors).
                app.state.database = await stack.enter_async_context(
                    connected(source, side, name=name, pool_size=10, pre_ping=False)
                )
            if hold is not None:
                await stack.enter_async_context(hold(app))
            yield

    return lifespan


def central_app(
    settings: Settings,
    source: DatabaseSource,
    *,
    name: str,
    routers: Sequence[APIRouter],
    calls_regions: bool,
    caches_principals: bool = False,
) -> FastAPI:
    key = signing_key(settings) if calls_regions else None

    @asynccontextmanager
    async def hold(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            database: Database = app.state.database
            # Sessions on a connection handed in (tests) have nobody to hear from.
            if caches_principals and settings.principal_cache_seconds > 0 and database.location:
                app.state.principal_cache = await stack.enter_async_context(
                    principal_cache(settings, database.location, name=name)
                )
            if key is not None:
                http = await stack.enter_async_context(regional_http_client(settings))
                app.state.regional_client = RegionalClient(http, key)
            if settings.oidc_enabled:
                sso_http = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=httpx.Timeout(10.0), trust_env=False)
                )
                app.state.oidc = OidcClient(settings, sso_http)
            yield

    app = build_app(
        settings,
        name=name,
        routers=routers,
        schema=SCHEMAS[Side.CENTRAL],
        lifespan=_lifespan(name, Side.CENTRAL, source, hold),
        body_limits=CENTRAL_BODY_LIMITS,
        metrics_refreshers=[refresh_gauges],
    )
    if isinstance(source, Database):
        app.state.database = source
    app.state.limits = CentralLimits.from_settings(settings)
    app.state.principal_cache = None
    return app


PRINCIPAL_CACHE_PURPOSE = (
    "the principal cache's LISTEN (EVENT_REVIEW_PRINCIPAL_CACHE_SECONDS=0 turns the cache off)"
)


@asynccontextmanager
async def principal_cache(
    settings: Settings, location: ServerLocation, *, name: str
) -> AsyncIterator[PrincipalCache]:
    """A principal cache and the listener that keeps it true, for as long as the app runs."""
    cache = PrincipalCache(settings.principal_cache_seconds)
    session = location.for_session(PRINCIPAL_CACHE_PURPOSE)

    def heard(live: bool) -> None:
        cache.live = live

    listener = Listener(
        session.asyncpg_dsn(),
        PRINCIPAL_CHANNEL,
        on_message=cache.notice,
        on_reset=cache.clear,
        on_live=heard,
        application_name=f"event-review-{name}-listener",
    )
    task = asyncio.create_task(listener.run(), name=f"{name}-principal-listener")
    try:
        yield cache
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def regional_app(
    settings: Settings, source: DatabaseSource, *, name: str, routers: Sequence[APIRouter],
    region: str,
) -> FastAPI:  # fmt: skip
    app = build_app(
        settings,
        name=f"{name}-{region}",
        routers=routers,
        schema=SCHEMAS[Side.REGIONAL],
        lifespan=_lifespan(f"{name}-{region}", Side.REGIONAL, source, None),
    )
    if isinstance(source, Database):
        app.state.database = source
    app.state.regional = RegionalContext(region, verification_keys(settings))
    return app


def static_app(settings: Settings, *, name: str, routers: Sequence[APIRouter]) -> FastAPI:
    """An app without a database (the web client's files): nothing to connect or migrate."""
    return build_app(settings, name=name, routers=routers, schema=None)

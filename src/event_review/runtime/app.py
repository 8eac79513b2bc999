"""Build a service's FastAPI application: database, health, errors, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from fastapi import APIRouter, FastAPI

from event_review import __version__
from event_review.runtime.access import publish_access_rules
from event_review.runtime.api_docs import docs_router
from event_review.runtime.database import Database
from event_review.runtime.errors import UnhandledErrorMiddleware, install_error_handlers
from event_review.runtime.health import health_router
from event_review.runtime.limits import BodySizeLimitMiddleware
from event_review.runtime.migrations import Schema
from event_review.runtime.observability import ObservabilityMiddleware, Refresher, metrics_router
from event_review.runtime.postgres import ServerLocation
from event_review.runtime.security_headers import SecurityHeadersMiddleware
from event_review.runtime.tracing import configure_tracing, instrument_app
from event_review.settings import Settings

Resources = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    settings: Settings,
    *,
    name: str,
    title: str,
    routers: Sequence[APIRouter],
    schema: Schema,
    location: ServerLocation | None = None,
    database: Database | None = None,
    resources: Resources | None = None,
    metrics_refreshers: list[Refresher] | None = None,
) -> FastAPI:
    """An app serving `routers`; it connects to `location` at startup, or uses `database`.

    `resources` opens whatever else the service holds for its lifetime (HTTP
    clients, keys) and stores it on `app.state`.
    """
    if (location is None) == (database is None):
        raise ValueError("give exactly one of location or database")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database.connect(
            location,  # type: ignore[arg-type]  # checked above
            application_name=f"event-review-{name}",
            pre_ping=False,
        )
        try:
            async with db.sessionmaker() as session:
                await schema.ensure_at_head(await session.connection())
            app.state.database = db
            async with resources(app) if resources else nullcontext():
                yield
        finally:
            if owned:
                await db.dispose()

    app = _assemble(
        settings, name, title, routers, schema, metrics_refreshers or [], lifespan=lifespan
    )
    if database is not None:
        app.state.database = database
    return app


def create_static_app(
    settings: Settings, *, name: str, title: str, routers: Sequence[APIRouter]
) -> FastAPI:
    """An app without a database (the web client's files): nothing to connect or migrate."""
    return _assemble(settings, name, title, routers, None, [])


def _assemble(
    settings: Settings,
    name: str,
    title: str,
    routers: Sequence[APIRouter],
    schema: Schema | None,
    metrics_refreshers: list[Refresher],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    # docs_url=None: FastAPI's own page loads Swagger UI from a CDN (see api_docs).
    app = FastAPI(
        title=title, version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Each middleware added wraps the ones before it: the last added runs first.
    app.add_middleware(BodySizeLimitMiddleware)
    # Inside the two below, so a 500 still has the request id and security headers.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    # Even a refused body gets a request id.
    app.add_middleware(ObservabilityMiddleware, target=name)
    app.include_router(publish_access_rules(health_router(schema)))
    app.include_router(publish_access_rules(metrics_router(metrics_refreshers)))
    app.include_router(publish_access_rules(docs_router(title, app.openapi_url or "/openapi.json")))
    for router in routers:
        app.include_router(publish_access_rules(router))
    configure_tracing(settings, f"event-review-{name}")
    instrument_app(app)
    return app

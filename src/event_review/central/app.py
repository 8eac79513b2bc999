"""Build the FastAPI application of a central target from its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from event_review import __version__
from event_review.central import health
from event_review.central.db.engine import Database
from event_review.central.db.migrate import ensure_at_head
from event_review.runtime.errors import install_error_handlers
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings


def create_app(
    settings: Settings,
    *,
    name: str,
    routers: Sequence[APIRouter],
    location: ServerLocation | None = None,
    database: Database | None = None,
) -> FastAPI:
    """An app serving `routers`; it connects to `location` at startup, or uses `database`."""
    if (location is None) == (database is None):
        raise ValueError("give exactly one of location or database")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database.connect(
            location,  # type: ignore[arg-type]  # checked above
            application_name=f"event-review-{name}",
        )
        try:
            async with db.sessionmaker() as session:
                await ensure_at_head(await session.connection())
            app.state.database = db
            yield
        finally:
            if owned:
                await db.dispose()

    app = FastAPI(
        title=f"Event Review Platform — {name}",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    if database is not None:
        app.state.database = database
    install_error_handlers(app)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    return app

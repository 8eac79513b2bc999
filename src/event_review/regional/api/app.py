"""The regional API service: one process per region, on that region's database."""

from __future__ import annotations

from fastapi import FastAPI

from event_review.regional.api.calls import RegionalContext
from event_review.regional.api.routes import router
from event_review.regional.store.migrate import REGIONAL_SCHEMA
from event_review.runtime.app import create_service_app
from event_review.runtime.database import Database
from event_review.runtime.keys import verification_keys
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings


def create_regional_app(
    settings: Settings,
    region_code: str,
    *,
    location: ServerLocation | None = None,
    database: Database | None = None,
) -> FastAPI:
    app = create_service_app(
        settings,
        name=f"regional-api-{region_code}",
        title=f"Event Review Platform — regional API ({region_code})",
        routers=[router],
        schema=REGIONAL_SCHEMA,
        location=location,
        database=database,
    )
    app.state.regional = RegionalContext(region_code, verification_keys(settings))
    return app

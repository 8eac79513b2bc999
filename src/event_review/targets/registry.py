"""The target registry: every HTTP service `event-review serve TARGET` can run.

One image, one command; a deployment picks its target by argument. The
worker loops (forwarder, write-back, re-queue, purge, simulator) are commands
of their own in cli.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from event_review.central.admin.routes import router as admin_router
from event_review.central.app import create_app
from event_review.central.assignment.routes import router as assignment_router
from event_review.central.auth.routes import router as auth_router
from event_review.central.dashboard.routes import router as dashboard_router
from event_review.central.events.routes import router as events_router
from event_review.central.ingest.routes import router as ingest_router
from event_review.central.payloads.routes import router as payloads_router
from event_review.central.requeue.routes import router as requeue_router
from event_review.central.reviews.routes import router as reviews_router
from event_review.central.web.routes import router as web_router
from event_review.central.writeback.routes import router as writeback_admin_router
from event_review.regional.api.app import create_regional_app
from event_review.runtime.app import create_static_app
from event_review.runtime.database import Database
from event_review.runtime.postgres import ServerLocation
from event_review.settings import (
    CENTRAL_SECRETS,
    REGIONAL_API_SECRETS,
    Settings,
)

_INGESTOR = (ingest_router,)
_REVIEW = (
    auth_router,
    assignment_router,
    events_router,
    payloads_router,
    reviews_router,
    requeue_router,
    writeback_admin_router,
    admin_router,
    dashboard_router,
)
_WEB = (web_router,)


@dataclass(frozen=True)
class Target:
    name: str
    summary: str
    default_port: int
    side: str  # "central" or "regional": which database it runs on; "static": none
    secrets: Sequence[str]
    routers: Sequence[APIRouter] = ()
    calls_regions: bool = False

    def build(
        self,
        settings: Settings,
        *,
        location: ServerLocation | None = None,
        database: Database | None = None,
        region: str | None = None,
    ) -> FastAPI:
        if self.side == "static":
            return create_static_app(
                settings,
                name=self.name,
                title=f"Event Review Platform — {self.name}",
                routers=self.routers,
            )
        if self.side == "regional":
            if region is None:
                raise ValueError(f"target {self.name} needs a region")
            return create_regional_app(settings, region, location=location, database=database)
        return create_app(
            settings,
            name=self.name,
            routers=self.routers,
            calls_regions=self.calls_regions,
            location=location,
            database=database,
        )


SERVE_TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "ingestor",
            "event ingestor (metadata from regional forwarders)",
            8001,
            "central",
            (),  # forwarders authenticate with region ingest keys from the database
            _INGESTOR,
        ),
        Target(
            "review",
            "auth, assignment, events, payload proxy, reviews, admin, re-queue trigger",
            8000,
            "central",
            CENTRAL_SECRETS,
            _REVIEW,
            calls_regions=True,
        ),
        Target(
            "all",
            "every central service and the web client in one process",
            8000,
            "central",
            CENTRAL_SECRETS,
            (*_REVIEW, *_INGESTOR, *_WEB),
            calls_regions=True,
        ),
        Target(
            "web",
            "the reviewer and admin web client at / (static files; the browser calls /api/v1 "
            "on the same origin, which an ingress routes to the review target)",
            8080,
            "static",
            (),  # serves files only: no database, no tokens to check, no regions to call
            _WEB,
        ),
        Target(
            "regional-api",
            "a region's payload fetch and review update APIs (needs --region)",
            9000,
            "regional",
            REGIONAL_API_SECRETS,
        ),
    )
}

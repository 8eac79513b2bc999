"""The target registry: which routers each `event-review serve TARGET` runs.

One image, one command; a deployment picks its target by argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from event_review.central.app import create_app
from event_review.central.assignment.routes import router as assignment_router
from event_review.central.auth.routes import router as auth_router
from event_review.central.db.engine import Database
from event_review.central.events.routes import router as events_router
from event_review.central.ingest.routes import router as ingest_router
from event_review.central.requeue.routes import router as requeue_router
from event_review.central.reviews.routes import router as reviews_router
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings

_INGESTOR = (ingest_router,)
_REVIEW = (auth_router, assignment_router, events_router, reviews_router, requeue_router)


@dataclass(frozen=True)
class Target:
    name: str
    summary: str
    routers: Sequence[APIRouter]
    default_port: int

    def build(
        self,
        settings: Settings,
        *,
        location: ServerLocation | None = None,
        database: Database | None = None,
    ) -> FastAPI:
        return create_app(
            settings, name=self.name, routers=self.routers, location=location, database=database
        )


SERVE_TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("ingestor", "Event ingestor: metadata from regional forwarders", _INGESTOR, 8001),
        Target(
            "review",
            "Distribution & review: auth, assignment, events, reviews, re-queue trigger",
            _REVIEW,
            8000,
        ),
        Target("all", "Every central service in one process", (*_REVIEW, *_INGESTOR), 8000),
    )
}

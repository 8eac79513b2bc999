"""Assemble a service's FastAPI application: middlewares, errors, health, docs, routers.

Nothing here connects to anything: what a target holds for its lifetime (its
database, its HTTP clients) comes in as a lifespan from targets/servers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI

from event_review import __version__
from event_review.runtime.access import publish_access_rules
from event_review.runtime.api_docs import docs_router
from event_review.runtime.errors import UnhandledErrorMiddleware, install_error_handlers
from event_review.runtime.health import health_router
from event_review.runtime.limits import BodyLimits, BodySizeLimitMiddleware
from event_review.runtime.migrations import Schema
from event_review.runtime.observability import ObservabilityMiddleware, Refresher, metrics_router
from event_review.runtime.security_headers import SecurityHeadersMiddleware
from event_review.runtime.tracing import configure_tracing, instrument_app
from event_review.settings import Settings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_app(
    settings: Settings,
    *,
    name: str,
    routers: Sequence[APIRouter],
    schema: Schema | None,
    lifespan: Lifespan | None = None,
    body_limits: BodyLimits = (),
    metrics_refreshers: Sequence[Refresher] = (),
) -> FastAPI:
    """An app serving `routers`; `schema` is what /readyz checks (None: no database)."""
    title = f"Event Review Platform — {name}"
    # docs_url=None: FastAPI's own page loads Swagger UI from a CDN (see api_docs).
    app = FastAPI(
        title=title, version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Each middleware added wraps the ones before it: the last added runs first.
    app.add_middleware(BodySizeLimitMiddleware, limits=body_limits)
    # Inside the two below, so a 500 still has the request id and security headers.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    # Even a refused body gets a request id.
    app.add_middleware(ObservabilityMiddleware, target=name)
    app.include_router(publish_access_rules(health_router(schema)))
    app.include_router(publish_access_rules(metrics_router(list(metrics_refreshers))))
    app.include_router(publish_access_rules(docs_router(title, app.openapi_url or "/openapi.json")))
    for router in routers:
        app.include_router(publish_access_rules(router))
    configure_tracing(settings, f"event-review-{name}")
    instrument_app(app)
    return app

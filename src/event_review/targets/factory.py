"""The app of `serve --workers N`: each worker process builds its own.

uvicorn starts worker processes by importing an app factory, so what the
parent resolved (server, region, database location) travels in variables.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from event_review.runtime.logging import configure_logging
from event_review.runtime.postgres import ServerLocation, parse_database_url
from event_review.settings import Pooler, Settings
from event_review.targets.registry import SERVERS, Server

APP_FACTORY = "event_review.targets.factory:worker_app"
SERVER_VARIABLE = "EVENT_REVIEW_WORKER_TARGET"
REGION_VARIABLE = "EVENT_REVIEW_WORKER_REGION"
DATABASE_VARIABLE = "EVENT_REVIEW_WORKER_DATABASE"
DIRECT_VARIABLE = "EVENT_REVIEW_WORKER_DIRECT_DATABASE"


def handover(server: Server, region: str | None, location: ServerLocation | None) -> dict[str, str]:
    """The variables a worker process builds `server` from."""
    found = {SERVER_VARIABLE: server.name, REGION_VARIABLE: region or ""}
    if location is not None:
        found[DATABASE_VARIABLE] = location.url.render_as_string(hide_password=False)
        if location.direct is not None:
            found[DIRECT_VARIABLE] = location.direct.render_as_string(hide_password=False)
    return found


def worker_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    server = SERVERS[os.environ[SERVER_VARIABLE]]
    database = os.environ.get(DATABASE_VARIABLE)
    location = None
    if database:
        location = parse_database_url(
            database,
            pooled=settings.database_pooler is Pooler.TRANSACTION,
            direct=os.environ.get(DIRECT_VARIABLE) or None,
        )
    return server.build(settings, location, os.environ.get(REGION_VARIABLE) or None)

"""The app of `serve --workers N`: each worker process builds its own from the environment.

uvicorn starts worker processes by importing an app factory, so what the
parent resolved (target, region, database location) travels in variables.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from event_review.runtime.logging import configure_logging
from event_review.runtime.postgres import parse_database_url
from event_review.settings import Settings
from event_review.targets.registry import SERVE_TARGETS

TARGET_VARIABLE = "EVENT_REVIEW_WORKER_TARGET"
REGION_VARIABLE = "EVENT_REVIEW_WORKER_REGION"
DATABASE_VARIABLE = "EVENT_REVIEW_WORKER_DATABASE"


def worker_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    target = SERVE_TARGETS[os.environ[TARGET_VARIABLE]]
    database = os.environ.get(DATABASE_VARIABLE)
    return target.build(
        settings,
        location=parse_database_url(database) if database else None,
        region=os.environ.get(REGION_VARIABLE) or None,
    )

"""Run with `python -m tests.runtime.failing_app json|console`: one request to a route that
raises, through the real middleware stack, with logging configured as a target does.

The test reads what this process wrote to stderr (its log) and stdout (the answer):
a subprocess, because structlog loggers keep the stream they first wrote to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path

import httpx
from fastapi import APIRouter, Depends

from event_review.runtime.access import public
from event_review.runtime.app import build_app
from event_review.runtime.logging import configure_logging
from event_review.settings import Environment, Settings

CANARY = "licence plate AB-123-CD typed by a reviewer"
router = APIRouter(dependencies=[Depends(public)])


@router.post("/explode")
async def explode() -> None:
    comment = CANARY  # a local variable holding what a user typed
    raise RuntimeError(f"exploded after reading {len(comment)} characters")


async def main(fmt: str) -> None:
    configure_logging("info", fmt)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(environment=Environment.DEVELOPMENT, data_dir=Path(data_dir))
        app = build_app(settings, name="failing", routers=[router], schema=None)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post(
                "/explode", json={"comment": CANARY}, headers={"X-Request-ID": "req-explode-1"}
            )
    # A stdlib logger with exc_info, as uvicorn or asyncio would log one.
    try:
        raise ValueError("from a library")
    except ValueError:
        logging.getLogger("some.library").exception("library failure")
    json.dump(
        {"status": response.status_code, "headers": dict(response.headers), "body": response.text},
        sys.stdout,
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

"""The HTTP clients processes hold: one per kind of call, made here only.

Both servers they call run uvicorn, whose keep-alive timeout is 5 s: idle
connections are dropped sooner on this side, so a pooled connection the
server is about to close is not picked for the next request (the callers
also repeat a send once when that race happens anyway).
"""

from __future__ import annotations

import httpx

from event_review.settings import Settings

KEEPALIVE_SECONDS = 2.0


def regional_http_client(settings: Settings) -> httpx.AsyncClient:
    """Calls to regions: bounded timeouts, no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.regional_timeout_seconds, connect=5.0),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(
            max_connections=200, max_keepalive_connections=50, keepalive_expiry=KEEPALIVE_SECONDS
        ),
    )


def ingest_http_client() -> httpx.AsyncClient:
    """A forwarder's calls to the central ingestor."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=5.0),
        limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
        trust_env=False,
    )

"""Request ids, HTTP metrics and the /metrics endpoint, for every target.

A request id arrives in `X-Request-ID` (or is made here), is bound to every
log line of the request, returned to the caller and passed on to regional
calls, so one review can be followed from the browser to the region. Log
lines carry ids, routes and timings: never bodies, passwords or tokens.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_review.runtime.access import public
from event_review.runtime.asgi import HttpMiddleware

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

HTTP_LATENCY = Histogram(
    "event_review_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["target", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

Refresher = Callable[[FastAPI], Awaitable[None]]


def current_request_id() -> str | None:
    return request_id_var.get()


class ObservabilityMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, target: str) -> None:
        super().__init__(app)
        self.target = target

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = (
            dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        )
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_LATENCY.labels(self.target, scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)


def metrics_router(refreshers: list[Refresher]) -> APIRouter:
    router = APIRouter(tags=["health"], dependencies=[Depends(public)])

    @router.get("/metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process."""
        for refresh in refreshers:
            await refresh(request.app)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router

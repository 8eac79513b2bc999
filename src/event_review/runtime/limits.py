"""Request body caps, enforced by the application itself.

A gateway in front usually caps bodies too, but no gateway is trusted alone:
a misconfigured or bypassed proxy must not let a client stream gigabytes
into a worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_review.runtime.asgi import HttpMiddleware, StartTracking

DEFAULT_MAX_BODY = 64 * 1024

# (path prefix, cap) pairs an app takes larger (or smaller) bodies on; the
# longest matching prefix wins, every other path gets DEFAULT_MAX_BODY. The
# routes' owners say which (central.ingest); this module knows no path.
BodyLimits = Sequence[tuple[str, int]]


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader passes it on as a 413 instead of a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def body_limit(limits: BodyLimits, path: str) -> int:
    matching = [(len(prefix), limit) for prefix, limit in limits if path.startswith(prefix)]
    return max(matching)[1] if matching else DEFAULT_MAX_BODY


class BodySizeLimitMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, limits: BodyLimits = ()) -> None:
        super().__init__(app)
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(self.limits, scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0
        tracking = StartTracking(send)

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counting_receive, tracking)
        except BodyTooLarge:
            # A chunked body without a length: cut off as soon as it passes the cap.
            if not tracking.started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "body_too_large",
                "message": f"the request body is larger than {limit} bytes",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

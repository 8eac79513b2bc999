"""Small pieces the platform's pure ASGI middlewares share."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StartTracking:
    """A `send` that remembers whether the response has started.

    Once headers are out, a middleware can no longer answer with an error of
    its own; all it can do is cut the response short.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class HttpMiddleware:
    """A pure ASGI middleware (no BaseHTTPMiddleware: streamed bodies pass through as they
    come) whose business is HTTP requests; lifespan and other scopes go straight on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

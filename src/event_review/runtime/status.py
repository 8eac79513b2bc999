"""Liveness, readiness and metrics of a worker process, on its metrics port.

A worker serves no API, but Kubernetes must still be able to tell a stuck
loop from a busy one: `/healthz` answers 200 while every loop is live (making
progress, or pausing on purpose as long as it said it would) and 503 once one
is stuck, so the kubelet restarts the pod; `/readyz` answers 200 once every
loop has reached its database. The server runs on the loops' own event loop,
so a blocked event loop fails the probe too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from event_review.runtime.loops import LoopState


class InLoopServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its host process, which runs other things too."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def status_app(loops: Sequence[LoopState]) -> Starlette:
    def report(healthy: bool) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok" if healthy else "failing",
                "loops": {state.name: state.snapshot() for state in loops},
            },
            status_code=200 if healthy else 503,
            headers={"Cache-Control": "no-store"},
        )

    async def healthz(_: Request) -> Response:
        return report(all(state.live for state in loops))

    async def readyz(_: Request) -> Response:
        return report(all(state.ready and state.live for state in loops))

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )


def status_server(loops: Sequence[LoopState], port: int, host: str = "0.0.0.0") -> InLoopServer:
    config = uvicorn.Config(
        status_app(loops),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
    )
    return InLoopServer(config)

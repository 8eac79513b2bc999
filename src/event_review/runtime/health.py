from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from event_review.runtime.access import public
from event_review.runtime.database import Database
from event_review.runtime.migrations import Schema, SchemaNotReadyError


def health_router(schema: Schema | None) -> APIRouter:
    """Liveness and readiness; without a schema (a static server) ready means up."""
    router = APIRouter(tags=["health"], dependencies=[Depends(public)])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (liveness)."""
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
    async def readyz(request: Request) -> JSONResponse:
        """The database is reachable and migrated (readiness)."""
        if schema is None:
            return JSONResponse({"status": "ready"})
        database: Database = request.app.state.database
        try:
            async with database.sessionmaker() as session:
                await session.execute(text("SELECT 1"))
                await schema.ensure_at_head(await session.connection())
        except SchemaNotReadyError as exc:
            return JSONResponse({"status": "not_ready", "reason": str(exc)}, status_code=503)
        except Exception as exc:  # any failure to reach the database means "not ready"
            return JSONResponse(
                {"status": "not_ready", "reason": f"database unreachable: {type(exc).__name__}"},
                status_code=503,
            )
        return JSONResponse({"status": "ready"})

    return router

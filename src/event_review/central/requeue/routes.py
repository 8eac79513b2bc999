from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from event_review.central.auth.dependencies import AppSettings, ServiceCaller
from event_review.central.requeue import service
from event_review.runtime.database import Database

router = APIRouter(prefix="/api/v1/internal", tags=["internal"])


class RequeueResult(BaseModel):
    requeued: int


@router.post("/trigger-requeue", response_model=RequeueResult, dependencies=[ServiceCaller])
async def trigger_requeue(request: Request, settings: AppSettings) -> RequeueResult:
    """Put expired or orphaned assignments back in the queue (called by the CronJob)."""
    database: Database = request.app.state.database
    count = await service.requeue_stale(
        database.sessionmaker,
        chunk=settings.requeue_chunk_size,
        actor="trigger-requeue",
        # Side-by-side chunks need their own connections; a database bound to
        # one shared connection (tests) runs them one after another.
        workers=service.WORKERS if database.engine is not None else 1,
    )
    return RequeueResult(requeued=count)

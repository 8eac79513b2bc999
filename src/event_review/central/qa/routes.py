from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal, Overseer
from event_review.central.qa import service
from event_review.central.qa.schemas import (
    Agreement,
    QaBatch,
    QaBatchRequest,
    VerdictOut,
    VerdictRequest,
)
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/qa", tags=["qa"])

TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_ROLE = documented(e403="QA is for QA reviewers, leads and admins (`role_required`)")
_TASK = documented(
    e403="QA is for QA reviewers, leads and admins (`role_required`)",
    e404="No such QA task in your regions",
    e409="You do not hold it (`not_holder`), your lease ran out (`lease_expired`), or the "
    "review changed since you opened it (`revision_changed`), or you wrote its latest "
    "revision (`own_review`)",
)


@router.post("/next-batch", response_model=QaBatch, responses=_ROLE)
async def next_batch(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    body: QaBatchRequest | None = None,
) -> QaBatch:
    """Claim reviews to judge in your team's regions, never your own; while you hold
    some, this returns those."""
    size = (body or QaBatchRequest()).size
    return await service.next_batch(session, principal, size, settings.lease)


@router.get("/tasks", response_model=QaBatch, responses=_ROLE)
async def held(principal: CurrentPrincipal, session: DbSession) -> QaBatch:
    """The QA tasks you hold."""
    return await service.held(session, principal)


@router.post("/tasks/{task_id}/verdict", response_model=VerdictOut, responses=_TASK)
async def verdict(
    task_id: TaskId, body: VerdictRequest, principal: CurrentPrincipal, session: DbSession
) -> VerdictOut:
    """Agree with the review, or correct it: your answers become its next revision,
    written back to the region."""
    return await service.verdict(session, principal, task_id, body)


@router.post("/tasks/{task_id}/release", status_code=status.HTTP_204_NO_CONTENT, responses=_TASK)
async def release(task_id: TaskId, principal: CurrentPrincipal, session: DbSession) -> None:
    """Give a QA task back for someone else to judge."""
    await service.release(session, principal, task_id)


@router.get(
    "/agreement",
    response_model=Agreement,
    responses=documented(e403="Leads and admins", e404="No such form"),
)
async def agreement(
    overseer: Overseer,
    session: DbSession,
    form: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="A form's key")],
) -> Agreement:
    """How often reviews and QA agree on one form: per reviewer, and per answer (share
    agreed, Cohen's kappa). A lead sees their team's regions; an admin sees all."""
    return await service.form_agreement(session, overseer, form)

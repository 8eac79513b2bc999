"""QA: sampled reviews claimed by leads and QA reviewers, judged, and corrected where wrong.

A QA reviewer never judges their own review. Agreeing finishes the task; a
correction becomes the review's next revision (kind `qa`), written back to
the region like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.assignment import repository as assignment
from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, QaStatus, QaTask, Role
from event_review.central.events import repository as events
from event_review.central.events.schemas import EventOut
from event_review.central.forms import service as forms
from event_review.central.forms.definition import FieldKind, FormDefinition
from event_review.central.identity.principal import Principal
from event_review.central.qa import agreement, repository
from event_review.central.qa.schemas import (
    Agreement,
    QaBatch,
    QaTaskOut,
    VerdictOut,
    VerdictRequest,
)
from event_review.central.reviews import repository as reviews
from event_review.central.reviews.schemas import FormRef
from event_review.central.reviews.service import checked, form_of
from event_review.contracts.regional import RevisionKind
from event_review.runtime.errors import Conflict, Forbidden, NotFound, Unprocessable

JUDGES = (Role.QA, Role.LEAD, Role.ADMIN)


def _may_judge(principal: Principal) -> None:
    if principal.role not in JUDGES:
        raise Forbidden("QA is for QA reviewers, leads and admins", code="role_required")


async def _batch(session: AsyncSession, tasks: Sequence[QaTask]) -> QaBatch:
    out = []
    found = await events.get_many(session, [t.event_id for t in tasks])
    for task in tasks:
        event = found[task.event_id]  # a task goes with its event (cascade)
        out.append(
            QaTaskOut(
                task_id=task.task_id,
                # A correction since sampling moves what is judged: the latest.
                revision=event.review_revision or task.revision,
                form_key=task.form_key,
                created_at=task.created_at,
                lease_expires_at=task.lease_expires_at,
                event=EventOut.model_validate(event),
            )
        )
    leases = [t.lease_expires_at for t in tasks if t.lease_expires_at is not None]
    return QaBatch(lease_expires_at=min(leases) if leases else None, tasks=out)


async def next_batch(
    session: AsyncSession, principal: Principal, size: int, lease: timedelta
) -> QaBatch:
    """Claim up to `size` reviews to judge in the caller's regions, or return those held."""
    _may_judge(principal)
    await assignment.lock_claimant(session, principal.user_id)
    held = await repository.held_by(session, principal.user_id)
    if not held:
        await repository.claim(
            session, principal.user_id, principal.actor, principal.region_codes, size, lease
        )
        held = await repository.held_by(session, principal.user_id)
    return await _batch(session, held)


async def held(session: AsyncSession, principal: Principal) -> QaBatch:
    _may_judge(principal)
    return await _batch(session, await repository.held_by(session, principal.user_id))


async def _held_task(session: AsyncSession, principal: Principal, task_id: int) -> QaTask:
    _may_judge(principal)
    task = await repository.get_for_update(session, task_id)
    if task is None or task.region_code not in principal.region_codes:
        raise NotFound(f"no QA task {task_id} that you can see", code="qa_task_not_found")
    if task.status != QaStatus.ASSIGNED or task.assigned_user_id != principal.user_id:
        raise Conflict("you do not hold this QA task: claim it first", code="not_holder")
    assert task.lease_expires_at is not None
    if task.lease_expires_at <= datetime.now(UTC):
        raise Conflict("your lease on this QA task has run out; claim again", code="lease_expired")
    return task


def _pair_side(
    form: FormDefinition, decision: str, rating: int | None, reasons: Any, fields: Any
) -> dict[str, Any]:
    """One side of an agreement pair: every answer but typed text (see agreement)."""
    typed = {f.key for f in form.fields if f.kind is FieldKind.TEXT}
    kept = {k: v for k, v in (fields or {}).items() if k not in typed}
    return {"decision": decision, "rating": rating, "reasons": reasons or {}, "fields": kept}


async def verdict(
    session: AsyncSession, principal: Principal, task_id: int, body: VerdictRequest
) -> VerdictOut:
    task = await _held_task(session, principal, task_id)
    event = await events.get(session, task.event_id, for_update=True)
    assert event is not None
    if body.revision != event.review_revision:
        raise Conflict(
            f"the review changed since you opened it (it is at revision {event.review_revision} "
            "now); reload it",
            code="revision_changed",
        )
    judged = await repository.revision(session, event.event_id, body.revision)
    if judged.user_id == principal.user_id:  # they corrected it since it was sampled
        raise Conflict("you wrote this revision: someone else judges it", code="own_review")
    judged_form = await forms.get_form(session, judged.form_key, judged.form_version)
    reviewed = _pair_side(
        judged_form.definition, judged.decision, judged.rating,
        judged.answers.get("reasons"), judged.answers.get("fields"),
    )  # fmt: skip
    if body.verdict == "agree":
        mine = reviewed
    else:
        if body.answers is None:
            raise Unprocessable(
                "a correction needs your answers",
                code="validation_error",
                details=[{"loc": ["body", "answers"], "msg": "Field required", "type": "missing"}],
            )
        form = await form_of(
            session,
            body.answers.form or FormRef(key=judged.form_key, version=judged.form_version),
            event.event_type,
            event.region_code,
            kept=(judged.form_key, judged.form_version),
        )
        answers = checked(form, body.answers.answers())
        revised = await reviews.revise(
            session, event.event_id, body.revision, RevisionKind.QA, principal.user_id,
            principal.actor, form, answers, body.note,
        )  # fmt: skip
        if revised is None:
            raise Conflict("the review changed meanwhile; reload it", code="revision_changed")
        mine = _pair_side(
            form.definition, answers.decision, answers.rating, answers.reasons, answers.fields
        )
    await repository.finish(
        session, task_id, body.verdict, body.revision, principal.actor, mine, reviewed
    )
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.QA_VERDICT,
        event_id=event.event_id,
        details={"task_id": task_id, "verdict": body.verdict, "revision": body.revision},
    )
    await session.refresh(event)  # a correction changed it by statement, past the ORM
    return VerdictOut(task_id=task_id, verdict=body.verdict, event=EventOut.model_validate(event))


async def release(session: AsyncSession, principal: Principal, task_id: int) -> None:
    task = await _held_task(session, principal, task_id)
    await repository.give_back(session, task_id)
    await audit.record(
        session,
        actor=principal.as_actor(),
        action=AuditAction.QA_RELEASED,
        event_id=task.event_id,
        details={"task_id": task_id},
    )


async def form_agreement(session: AsyncSession, principal: Principal, form_key: str) -> Agreement:
    """Agreement on one form's reviews: a lead sees their team's regions, an admin all."""
    current = await forms.get_form(session, form_key)
    regions = None if principal.role is Role.ADMIN else principal.region_codes
    rows = await repository.judged(session, form_key, regions)
    return agreement.agreement(
        form_key,
        current.definition,
        ((r.reviewed_answers, r.qa_answers, r.verdict, r.reviewer) for r in rows),
    )

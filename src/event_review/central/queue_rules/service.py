"""Queue rules: applying a file, and the priority an arriving event gets under them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor
from event_review.central.queue_rules import repository
from event_review.central.queue_rules.definition import QueueRules
from event_review.central.queue_rules.priorities import priority_for
from event_review.central.queue_rules.schemas import AppliedRules, RulesOut
from event_review.central.regions import repository as regions
from event_review.contracts.ingest import EventMetadata
from event_review.runtime.errors import Unprocessable


async def apply(session: AsyncSession, rules: QueueRules, *, actor: Actor) -> AppliedRules:
    """Put the rules in force; waiting events are re-ranked when the ageing changed.

    New priorities apply to events that arrive from now on: a waiting event
    keeps the priority it arrived with.
    """
    known = {region.code for region in await regions.list_regions(session)}
    unknown = sorted(rules.regions() - known)
    if unknown:
        raise Unprocessable(
            f"the rules name regions that are not registered: {', '.join(unknown)}",
            code="unknown_region",
            details={"regions": unknown},
        )
    now = await repository.current(session)
    if now.version and now.rules == rules:
        return AppliedRules(version=now.version, changed=False, reranked=0)
    version = now.version + 1
    await repository.store(session, rules, version=version, by=actor.name)
    reranked = 0
    if rules.point != now.rules.point:
        reranked = await repository.rerank_waiting(session, rules)
    await audit.record(
        session,
        actor=actor,
        action=AuditAction.QUEUE_RULES_APPLIED,
        details={
            "version": version,
            "priorities": len(rules.priorities),
            "slas": len(rules.slas),
            "reranked": reranked,
        },
    )
    return AppliedRules(version=version, changed=True, reranked=reranked)


async def show(session: AsyncSession) -> RulesOut:
    stored = await repository.current(session)
    return RulesOut(
        version=stored.version,
        applied_at=stored.applied_at,
        applied_by=stored.applied_by,
        rules=stored.rules.model_dump(mode="json", exclude_defaults=True),
    )


async def prioritise(
    session: AsyncSession, region: str, events: Sequence[EventMetadata]
) -> list[EventMetadata]:
    """The events with the priority the rules in force give them."""
    rules = (await repository.current(session)).rules
    if not rules.priorities:
        return list(events)
    prioritised = []
    for event in events:
        priority = priority_for(rules, region, event)
        prioritised.append(
            event if priority == event.priority else event.model_copy(update={"priority": priority})
        )
    return prioritised

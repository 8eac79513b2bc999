from __future__ import annotations

from fastapi import APIRouter

from event_review.central.db.models import Role
from event_review.central.identity.dependencies import Admin, Overseer
from event_review.central.queue_rules import service, sla
from event_review.central.queue_rules.definition import QueueRules
from event_review.central.queue_rules.schemas import AppliedRules, RulesOut, SlaStatus
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1", tags=["queue"])


@router.get(
    "/queue-rules", response_model=RulesOut, responses=documented(e403="Leads and admins only")
)
async def show_rules(who: Overseer, session: DbSession) -> RulesOut:
    """The queue rules in force: priorities at ingest, ageing, SLAs."""
    del who
    return await service.show(session)


@router.put(
    "/admin/queue-rules",
    response_model=AppliedRules,
    responses=documented(
        e403="Admins only",
        e422="Not a valid rules file, or it names a region that is not registered "
        "(`unknown_region`)",
    ),
)
async def apply_rules(body: QueueRules, admin: Admin, session: DbSession) -> AppliedRules:
    """Put these rules in force (the file `event-review queue-rules apply` reads, as JSON).

    New priorities apply to events arriving from now on; a changed ageing
    re-ranks the events waiting now.
    """
    return await service.apply(session, body, actor=admin.as_actor())


@router.get("/sla", response_model=SlaStatus, responses=documented(e403="Leads and admins only"))
async def sla_status(who: Overseer, session: DbSession) -> SlaStatus:
    """Every SLA measure now and whether it is breached; a lead sees the SLAs that
    cover a region of their team."""
    found = await sla.status(session)
    if who.role is not Role.ADMIN:
        found.measures = [m for m in found.measures if who.region_codes & set(m.regions)]
    return found

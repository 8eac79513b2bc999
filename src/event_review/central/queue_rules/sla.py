"""Service levels: each SLA measured now, breaches opened and closed, and announced.

Two measures, each over the regions and event types an SLA covers:

- `oldest_pending`: how long the oldest event not yet reviewed (pending or
  held) has waited since it arrived;
- `first_review`: the 90th percentile of the time from arrival to first
  review, over the events first reviewed within the SLA's window.

The `sla` loop measures every few seconds, keeps the Prometheus gauges (the
shipped alert fires on `event_review_sla_breached`), and records each stretch
over target as a breach: opening one writes its audit row and its
`sla.breached` webhook in the same transaction. The dashboard reads the same
measures on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import structlog
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, SlaBreach, WebhookKind
from event_review.central.identity.actor import Actor
from event_review.central.metrics import SLA_BREACHED, SLA_SECONDS, SLA_TARGET
from event_review.central.queue_rules import repository
from event_review.central.queue_rules.definition import Sla
from event_review.central.queue_rules.schemas import SlaMeasure, SlaStatus
from event_review.central.regions import repository as regions
from event_review.central.webhooks import outbox
from event_review.runtime.loops import LoopState, run_forever

log = structlog.get_logger(__name__)

ACTOR = Actor.service("sla")
OLDEST_PENDING = "oldest_pending"
FIRST_REVIEW = "first_review"

# The oldest unreviewed event of every (region, event type) that has one: a
# skip scan over ix_events_unreviewed (each next pair is one index probe), then
# one probe per pair for its oldest. However long the queue, the cost is the
# number of pairs.
_OLDEST_BY_PAIR = text(
    """
    WITH RECURSIVE pairs AS (
        (SELECT region_code, event_type FROM events
         WHERE status IN ('pending', 'assigned')
         ORDER BY region_code, event_type LIMIT 1)
        UNION ALL
        SELECT later.region_code, later.event_type
        FROM pairs CROSS JOIN LATERAL (
            SELECT e.region_code, e.event_type FROM events AS e
            WHERE e.status IN ('pending', 'assigned')
              AND (e.region_code, e.event_type) > (pairs.region_code, pairs.event_type)
            ORDER BY e.region_code, e.event_type LIMIT 1
        ) AS later
    )
    SELECT p.region_code, p.event_type, oldest.created_at
    FROM pairs AS p CROSS JOIN LATERAL (
        SELECT e.created_at FROM events AS e
        WHERE e.status IN ('pending', 'assigned')
          AND e.region_code = p.region_code AND e.event_type = p.event_type
        ORDER BY e.created_at LIMIT 1
    ) AS oldest
    """
)
# On each region's slice of ix_events_search_reviewed: only the window is read.
_FIRST_REVIEW = text(
    """
    SELECT percentile_cont(0.9) WITHIN GROUP (
               ORDER BY EXTRACT(EPOCH FROM e.reviewed_at - e.created_at)) AS p90
    FROM unnest(CAST(:regions AS text[])) AS r(code)
    JOIN events AS e ON e.region_code = r.code
    WHERE e.reviewed_at >= clock_timestamp() - CAST(:window AS interval)
      AND (cardinality(CAST(:event_types AS text[])) = 0
           OR e.event_type = ANY(CAST(:event_types AS text[])))
    """
)
# The clock, not the transaction start: a measurement reads what it sees now.
_NOW = text("SELECT clock_timestamp()")


@dataclass(frozen=True)
class Measured:
    sla: Sla
    measure: str
    regions: list[str]
    target: timedelta
    seconds: float | None

    @property
    def breached(self) -> bool:
        return self.seconds is not None and self.seconds > self.target.total_seconds()


async def _measure(session: AsyncSession, slas: Sequence[Sla]) -> tuple[datetime, list[Measured]]:
    now = (await session.execute(_NOW)).scalar_one()
    if not slas:
        return now, []
    every_region = [region.code for region in await regions.list_regions(session)]
    oldest = (
        (await session.execute(_OLDEST_BY_PAIR)).all()
        if any(s.oldest_pending for s in slas)
        else []
    )
    measured = []
    for sla in slas:
        covered = sla.when.region or every_region
        if sla.oldest_pending is not None:
            arrivals = [
                arrived
                for region, event_type, arrived in oldest
                if sla.when.covers(region, event_type)
            ]
            age = (now - min(arrivals)).total_seconds() if arrivals else None
            measured.append(Measured(sla, OLDEST_PENDING, covered, sla.oldest_pending, age))
        if sla.first_review is not None:
            p90 = (
                await session.execute(
                    _FIRST_REVIEW,
                    {
                        "regions": covered,
                        "event_types": sla.when.event_type,
                        "window": sla.window,
                    },
                )
            ).scalar_one()
            seconds = None if p90 is None else float(p90)
            measured.append(Measured(sla, FIRST_REVIEW, covered, sla.first_review, seconds))
    return now, measured


async def _open_breaches(session: AsyncSession) -> dict[tuple[str, str], SlaBreach]:
    rows = await session.scalars(select(SlaBreach).where(SlaBreach.closed_at.is_(None)))
    return {(row.sla, row.measure): row for row in rows}


async def status(session: AsyncSession) -> SlaStatus:
    """Every SLA measure now, with the breach it is in (for the dashboard)."""
    rules = (await repository.current(session)).rules
    now, measured = await _measure(session, rules.slas)
    open_ = await _open_breaches(session) if measured else {}
    return SlaStatus(
        measured_at=now,
        measures=[
            SlaMeasure(
                sla=m.sla.name,
                measure=m.measure,
                regions=m.regions,
                event_types=m.sla.when.event_type,
                target_seconds=m.target.total_seconds(),
                seconds=m.seconds,
                breached=m.breached,
                breached_since=(
                    open_[(m.sla.name, m.measure)].opened_at
                    if (m.sla.name, m.measure) in open_
                    else None
                ),
            )
            for m in measured
        ],
    )


def _publish(measured: Sequence[Measured]) -> None:
    # Cleared and set with no await between: a scrape never sees half of it, and
    # an SLA taken out of the rules leaves no stale series behind.
    for gauge in (SLA_SECONDS, SLA_TARGET, SLA_BREACHED):
        gauge.clear()
    for m in measured:
        labels = (m.sla.name, m.measure)
        SLA_TARGET.labels(*labels).set(m.target.total_seconds())
        SLA_BREACHED.labels(*labels).set(1 if m.breached else 0)
        if m.seconds is not None:
            SLA_SECONDS.labels(*labels).set(m.seconds)


async def _announce(session: AsyncSession, m: Measured, breach_id: int, now: datetime) -> None:
    details = {
        "sla": m.sla.name,
        "measure": m.measure,
        "target_seconds": m.target.total_seconds(),
        "seconds": m.seconds,
        "regions": m.regions,
        "event_types": m.sla.when.event_type,
        "breach_id": breach_id,
        "breached_at": now.isoformat(),
    }
    await audit.record(session, actor=ACTOR, action=AuditAction.SLA_BREACHED, details=details)
    await outbox.enqueue_scoped(
        session,
        WebhookKind.SLA_BREACHED,
        regions=m.regions,
        event_types=m.sla.when.event_type,
        data=details,
    )


async def evaluate(session: AsyncSession) -> list[Measured]:
    """Measure, open and close breaches, announce new ones; publish the gauges."""
    rules = (await repository.current(session)).rules
    now, measured = await _measure(session, rules.slas)
    open_ = await _open_breaches(session)
    for m in measured:
        key = (m.sla.name, m.measure)
        if m.breached and key not in open_:
            assert m.seconds is not None
            # Two monitors may see the same breach: the unique open index lets
            # one open it; the other inserts nothing and announces nothing.
            breach_id = await session.scalar(
                insert(SlaBreach)
                .values(
                    sla=m.sla.name,
                    measure=m.measure,
                    target_seconds=m.target.total_seconds(),
                    worst_seconds=m.seconds,
                )
                .on_conflict_do_nothing(
                    index_elements=["sla", "measure"], index_where=SlaBreach.closed_at.is_(None)
                )
                .returning(SlaBreach.breach_id)
            )
            if breach_id is not None:
                await _announce(session, m, breach_id, now)
                log.warning("sla.breached", sla=m.sla.name, measure=m.measure, seconds=m.seconds)
        elif m.breached:
            assert m.seconds is not None
            breach = open_[key]
            if m.seconds > breach.worst_seconds:
                await session.execute(
                    update(SlaBreach)
                    .where(SlaBreach.breach_id == breach.breach_id)
                    .values(worst_seconds=m.seconds)
                )
    still = {(m.sla.name, m.measure) for m in measured if m.breached}
    for key, breach in open_.items():
        if key not in still:
            await session.execute(
                update(SlaBreach)
                .where(SlaBreach.breach_id == breach.breach_id)
                .values(closed_at=now)
            )
            await audit.record(
                session,
                actor=ACTOR,
                action=AuditAction.SLA_RECOVERED,
                details={
                    "sla": breach.sla,
                    "measure": breach.measure,
                    "breach_id": breach.breach_id,
                    "worst_seconds": breach.worst_seconds,
                },
            )
            log.info("sla.recovered", sla=breach.sla, measure=breach.measure)
    _publish(measured)
    return measured


async def monitor(
    sessionmaker: async_sessionmaker[AsyncSession], state: LoopState, interval: float
) -> NoReturn:
    """Evaluate every `interval` seconds until cancelled, whatever fails on the way."""

    async def iteration() -> bool:
        async with sessionmaker() as session, session.begin():
            await evaluate(session)
        return False

    await run_forever(state, iteration, idle_seconds=interval)

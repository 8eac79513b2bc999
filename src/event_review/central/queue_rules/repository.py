from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import QueueRuleSet
from event_review.central.queue_rules.definition import NO_RULES, QueueRules


@dataclass(frozen=True)
class StoredRules:
    version: int  # 0: none applied yet
    rules: QueueRules
    applied_at: datetime | None
    applied_by: str | None


_CURRENT = select(QueueRuleSet).order_by(QueueRuleSet.version.desc()).limit(1)
# The rules of a version never change, so a process parses each version once
# (by version and time: a restored or rebuilt database may reuse a number).
_PARSED: dict[tuple[int, datetime], QueueRules] = {}

# Ranks by the formula the insert trigger uses (migration 0010), so a waiting
# event stands where it would had it arrived under the new ageing.
_RERANK = text(
    """
    UPDATE events
    SET rank_at = queue_rank(created_at, priority, make_interval(secs => :point_seconds))
    WHERE status IN ('pending', 'assigned')
    """
)


def _stored(row: QueueRuleSet | Row[tuple[QueueRuleSet]] | None) -> StoredRules:
    if row is None:
        return StoredRules(0, NO_RULES, None, None)
    assert isinstance(row, QueueRuleSet)
    key = (row.version, row.applied_at)
    if key not in _PARSED:
        _PARSED[key] = QueueRules.model_validate(row.document)
    return StoredRules(row.version, _PARSED[key], row.applied_at, row.applied_by)


async def current(session: AsyncSession) -> StoredRules:
    return _stored(await session.scalar(_CURRENT))


async def store(session: AsyncSession, rules: QueueRules, *, version: int, by: str) -> None:
    await session.execute(
        insert(QueueRuleSet).values(
            version=version,
            document=rules.model_dump(mode="json", exclude_defaults=True),
            point_seconds=rules.point.total_seconds(),
            applied_by=by,
        )
    )


async def rerank_waiting(session: AsyncSession, rules: QueueRules) -> int:
    result = await session.execute(_RERANK, {"point_seconds": rules.point.total_seconds()})
    return int(result.rowcount)  # type: ignore[attr-defined]

"""The figures, counted by PostgreSQL per group; one statement per source.

`{key}` is the grouping expression (reviewer, team or region), chosen from a
fixed list by the service, never from input. Scope filters: `:users` (None:
everyone) and `:regions` (None: every region).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession


class GroupBy(StrEnum):
    REVIEWER = "reviewer"
    TEAM = "team"
    REGION = "region"


KEYS = {
    GroupBy.REVIEWER: "u.username",
    GroupBy.TEAM: "coalesce(t.name, '')",
    GroupBy.REGION: "coalesce(e.region_code, '')",
}

_SCOPE = """
    (CAST(:users AS uuid[]) IS NULL OR u.user_id = ANY(CAST(:users AS uuid[])))
    AND (CAST(:regions AS text[]) IS NULL OR e.region_code = ANY(CAST(:regions AS text[])))
"""

# Revisions a person made in the period, with the first time they opened the
# event's payload before it (the time a review took: from looking to deciding).
_REVISIONS = f"""
    WITH made AS (
        SELECT {{key}} AS grp, r.kind, r.decision, r.answers -> 'reasons' AS reasons,
               r.created_at - (
                   SELECT min(a.occurred_at) FROM audit_log AS a
                   WHERE a.event_id = r.event_id AND a.action = 'event.payload_viewed'
                     AND a.actor_type = 'user' AND a.actor = u.username
                     AND a.occurred_at <= r.created_at
               ) AS took
        FROM review_revisions AS r
        JOIN users AS u ON u.user_id = r.user_id
        LEFT JOIN teams AS t ON t.team_id = u.team_id
        JOIN events AS e ON e.event_id = r.event_id
        WHERE r.created_at >= :since AND r.created_at < :until
          AND r.kind IN ('review', 'correction') AND {_SCOPE}
    )
"""

COUNTS = f"""{_REVISIONS}
    SELECT grp, kind, decision, count(*) AS n FROM made GROUP BY grp, kind, decision
"""

# The median over first reviews that had a payload view before them (an API client
# that never looked is not timed).
TIMING = f"""{_REVISIONS}
    SELECT grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM took))
               AS median_seconds,
           count(*) AS timed
    FROM made WHERE kind = 'review' AND took IS NOT NULL GROUP BY grp
"""

REASONS = f"""{_REVISIONS}
    SELECT grp, list.key AS list, code.value AS code, count(*) AS n
    FROM made
    CROSS JOIN LATERAL jsonb_each(coalesce(made.reasons, '{{{{}}}}')) AS list
    CROSS JOIN LATERAL jsonb_array_elements_text(list.value) AS code
    WHERE made.kind = 'review'
    GROUP BY grp, list.key, code.value
"""

# Skips and escalations: the audit log keeps them (a review deletes the skip).
PASSED_ON = f"""
    SELECT {{key}} AS grp, a.action, count(*) AS n
    FROM audit_log AS a
    JOIN users AS u ON u.username = a.actor AND a.actor_type = 'user'
    LEFT JOIN teams AS t ON t.team_id = u.team_id
    LEFT JOIN events AS e ON e.event_id = a.event_id
    WHERE a.action IN ('event.skipped', 'event.escalated')
      AND a.occurred_at >= :since AND a.occurred_at < :until AND {_SCOPE}
    GROUP BY grp, a.action
"""

# QA verdicts in the period on revisions the group's people wrote.
JUDGED = f"""
    SELECT {{key}} AS grp, count(*) AS judged, count(*) FILTER (WHERE q.verdict = 'agree') AS agreed
    FROM qa_tasks AS q
    JOIN review_revisions AS r ON r.event_id = q.event_id AND r.revision = q.revision
    JOIN users AS u ON u.user_id = r.user_id
    LEFT JOIN teams AS t ON t.team_id = u.team_id
    JOIN events AS e ON e.event_id = q.event_id
    WHERE q.status = 'done' AND q.verdict_at >= :since AND q.verdict_at < :until AND {_SCOPE}
    GROUP BY grp
"""


@dataclass(frozen=True)
class Scope:
    since: datetime
    until: datetime
    users: Collection[uuid.UUID] | None  # None: everyone
    regions: Collection[str] | None  # None: every region

    def params(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "users": None if self.users is None else sorted(self.users),
            "regions": None if self.regions is None else sorted(self.regions),
        }


async def rows(
    session: AsyncSession, statement: str, group_by: GroupBy, scope: Scope
) -> Sequence[Row[Any]]:
    sql = text(statement.format(key=KEYS[group_by]))
    return (await session.execute(sql, scope.params())).all()

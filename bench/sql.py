"""The platform's own SQL, run through plain asyncpg for the baselines."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import asyncpg
from sqlalchemy import TextClause

from bench.data import generated_events_sql
from bench.progress import Progress
from event_review.runtime.postgres import ServerLocation

LOAD_CHUNK = 100_000


def asyncpg_sql(clause: TextClause, names: Sequence[str]) -> str:
    """A SQLAlchemy text() statement with its :named parameters as $1, $2, … (in `names` order)."""
    sql = clause.text
    for n, name in enumerate(names, 1):
        sql = re.sub(rf"(?<![:\w]):{name}\b", f"${n}", sql)
    leftover = re.search(r"(?<![:\w]):[A-Za-z_]\w*", sql)
    if leftover:
        raise ValueError(f"parameter {leftover.group()} not given a position")
    return sql


async def load_generated(
    locations: Sequence[ServerLocation],
    count: int,
    *,
    prefix: str,
    status: str,
    progress: Progress,
    what: str,
    extra_columns: str = "",
    extra_values: str = "",
    extra_args: Sequence[object] = (),
) -> None:
    """The same generated rows into `events` of every location, then VACUUM ANALYZE."""
    sql = generated_events_sql(status, extra_columns, extra_values)
    counter = progress.counter(what, count * len(locations))

    async def load(location: ServerLocation) -> None:
        conn = await asyncpg.connect(location.asyncpg_dsn())
        try:
            for low in range(1, count + 1, LOAD_CHUNK):
                high = min(low + LOAD_CHUNK - 1, count)
                await conn.execute(sql, low, high, prefix, *extra_args)
                counter.add(high - low + 1)
            await conn.execute("VACUUM ANALYZE events")
        finally:
            await conn.close()

    await asyncio.gather(*(load(location) for location in locations))

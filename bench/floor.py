"""The floor: a bare FastAPI app that sends the platform's own statements and nothing else.

Scenario 11 (bench/scenarios/floor.py) holds the platform against it. Each
route sends, in one transaction, the statements the platform's route sends
for the same request, imported from the platform's modules (never copied),
so the two stay in step. What is left is what FastAPI, uvicorn and asyncpg
cost at the least: no middleware, no ORM, no dependency injection, no
response models; JSON in and out with the standard library.

It runs under uvicorn with the settings `event-review serve` uses
(targets/launch.py) and takes its JWT secret and leases from the platform's
Settings, read from the same environment:

    python -m bench.floor --dsn postgresql://… --port 8123
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import asyncpg
import jwt
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from bench.scenarios.claim import RAW_CLAIM, RAW_REVIEW
from bench.sql import asyncpg_sql
from event_review.central.assignment.repository import _HELD_BY, _LOCK_CLAIMANT
from event_review.central.audit.repository import _RECORD_MANY
from event_review.central.db.models import AuditAction, IngestKey
from event_review.central.events.schemas import EventOut
from event_review.central.identity.actor import Actor
from event_review.central.identity.tokens import ALGORITHM, AUDIENCE, ISSUER
from event_review.central.ingest.repository import _INSERT_NEW
from event_review.central.queue_rules.repository import _CURRENT
from event_review.central.regions.keys import digest
from event_review.central.reviews.repository import _REVIEW_CONTEXT
from event_review.central.sessions.repository import _SESSION_QUERY
from event_review.contracts.ingest import EventBatch, summary_json
from event_review.runtime.logging import configure_logging
from event_review.settings import Settings

POOL_SIZE = 10  # the platform's servers' pool (targets/servers.py)


@dataclass(frozen=True)
class Statement:
    """A platform statement compiled for asyncpg: its SQL and its parameters' order."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    @classmethod
    def of(cls, statement: ClauseElement) -> Statement:
        dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        defaults = {k: v.value if isinstance(v, Enum) else v for k, v in compiled.params.items()}
        return cls(str(compiled), tuple(compiled.positiontup or ()), defaults)

    def args(self, **given: Any) -> list[Any]:
        return [given[n] if n in given else self.defaults[n] for n in self.names]


SESSION = Statement.of(_SESSION_QUERY)
LOCK = Statement.of(_LOCK_CLAIMANT)
HELD = Statement.of(_HELD_BY)
REVIEW_CONTEXT = Statement.of(_REVIEW_CONTEXT)
RULES = Statement.of(_CURRENT)
# regions.repository.region_for_key builds this inline; the same expression.
KEY = Statement.of(
    select(IngestKey.region_code).where(
        IngestKey.key_hash == bindparam("key_hash"), IngestKey.revoked_at.is_(None)
    )
)
INSERT = asyncpg_sql(
    _INSERT_NEW,
    ["region_code", "external_event_ids", "event_types", "occurred_ats", "device_ids",
     "priorities", "summaries"],
)  # fmt: skip
AUDIT = asyncpg_sql(_RECORD_MANY, ["actor_type", "actor", "action", "event_ids", "details"])
EVENT_FIELDS = tuple(EventOut.model_fields)
REQUIRED_CLAIMS = ["exp", "iat", "sub", "sid", "iss", "aud"]


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _json(body: Any) -> Response:
    return Response(json.dumps(body, default=_plain), media_type="application/json")


def _event(row: asyncpg.Record) -> dict[str, Any]:
    return {name: row[name] for name in EVENT_FIELDS}


async def _codecs(conn: asyncpg.Connection) -> None:
    """jsonb as Python values, as the platform's JSONB columns load; text parameters pass."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: v if isinstance(v, str) else json.dumps(v),
            decoder=json.loads,
            schema="pg_catalog",
        )


async def no_reset(conn: asyncpg.Connection) -> None:
    """No reset query on release: SQLAlchemy's pool sends none either (only a rollback)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        app.state.dsn, min_size=POOL_SIZE, max_size=POOL_SIZE, init=_codecs, reset=no_reset
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


async def _principal(conn: asyncpg.Connection, request: Request) -> asyncpg.Record:
    """The bearer token verified as identity/tokens.py does, then the session row."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(
            token,
            request.app.state.secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
        user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise HTTPException(401, "the access token is not valid") from exc
    row = await conn.fetchrow(SESSION.sql, *SESSION.args(session_id=session_id))
    if (
        row is None
        or row[0] != user_id
        or row[9] is not None  # revoked_at
        or row[8] <= datetime.now(UTC)  # expires_at
        or not row[3]  # is_active
    ):
        raise HTTPException(401, "the session is not live")
    return row


@app.get("/readyz")
async def ready() -> Response:
    return _json({"status": "ready"})


@app.get("/api/v1/auth/me")
async def me(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        user_id, username, role, _, _, team, regions, _, expires_at, _ = await _principal(
            conn, request
        )
    return _json({"user_id": user_id, "username": username, "role": role, "team": team,
                  "regions": sorted(regions), "session_expires_at": expires_at})  # fmt: skip


@app.post("/api/v1/assignments/next-batch")
async def next_batch(request: Request) -> Response:
    size = json.loads(await request.body() or b"{}").get("size", 10)
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        user = await _principal(conn, request)
        user_id, username, regions = user[0], user[1], user[6]
        await conn.fetchval(LOCK.sql, *LOCK.args(user_key=str(user_id)))
        rows = await conn.fetch(HELD.sql, *HELD.args(user_id=user_id))
        if not rows:
            rows = await conn.fetch(
                RAW_CLAIM, sorted(regions), size, user_id, request.app.state.lease, username
            )
    leases = [r["lease_expires_at"] for r in rows]
    claimed = [r["assigned_at"] for r in rows]
    return _json({"lease_expires_at": min(leases) if leases else None,
                  "hold_until": min(claimed) + request.app.state.max_hold if claimed else None,
                  "events": [_event(r) for r in rows]})  # fmt: skip


@app.post("/api/v1/events/{event_id}/review")
async def review(event_id: uuid.UUID, request: Request) -> Response:
    body = json.loads(await request.body())
    decision, rating, comment = body["decision"], body.get("rating"), body.get("comment")
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        user = await _principal(conn, request)
        user_id, username = user[0], user[1]
        context = await conn.fetch(REVIEW_CONTEXT.sql, *REVIEW_CONTEXT.args(event_id=event_id))
        if not context:
            raise HTTPException(404, "no such event")
        # The platform picks the form that applies; the bench has only the default one.
        form = next(f for f in context if f["form_key"] == "default")
        key, version, now = form["form_key"], form["version"], datetime.now(UTC)
        answers: dict[str, Any] = {"reasons": {}, "fields": {}}
        outcome = {"revision": 1, "kind": "review", "form_key": key, "form_version": version,
                   "decision": decision, "rating": rating, "comment": comment, **answers,
                   "reviewer": username, "reviewed_at": now.isoformat(), "note": None}  # fmt: skip
        announced = {"revision": 1, "revision_kind": "review", "decision": decision,
                     "rating": rating, "reasons": {}, "form_key": key, "form_version": version,
                     "reviewer_id": str(user_id), "reviewer": username,
                     "reviewed_at": now.isoformat()}  # fmt: skip
        row = await conn.fetchrow(
            RAW_REVIEW, event_id, user_id, username, now, decision, rating, comment, key,
            version, json.dumps(answers), json.dumps(outcome), False,
            "review.created", now.isoformat(), json.dumps(announced),
        )  # fmt: skip
        if row is None:
            raise HTTPException(409, "you do not hold this event")
    return _json(_event(row))


@app.post("/api/v1/internal-ingest/events")
async def ingest(request: Request) -> Response:
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    events = EventBatch.model_validate_json(await request.body()).events
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        region = await conn.fetchval(KEY.sql, *KEY.args(key_hash=digest(key)))
        if region is None:
            raise HTTPException(401, "the ingest key is not valid")
        if any(e.region_code != region for e in events):
            raise HTTPException(403, "events of another region")
        # Read as the platform reads them; the bench sets no priority rules to apply.
        await conn.fetchrow(RULES.sql, *RULES.args())
        created = dict(
            await conn.fetch(
                INSERT, region, [e.external_event_id for e in events],
                [e.event_type for e in events], [e.occurred_at for e in events],
                [e.device_id for e in events], [e.priority for e in events],
                [summary_json(e.summary) for e in events],
            )
        )  # fmt: skip
        if len(created) != len(events):
            raise HTTPException(409, "the floor takes new events only")
        actor = Actor.region(region)
        await conn.execute(AUDIT, actor.kind.value, actor.name, AuditAction.EVENT_INGESTED.value,
                           list(created.values()), "{}")  # fmt: skip
    return _json({"created": len(created), "existing": 0,
                  "results": [{"external_event_id": e.external_event_id,
                               "event_id": created[e.external_event_id], "created": True}
                              for e in events]})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--dsn", required=True, help="the floor's own copy of the central database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app.state.dsn, app.state.secret = args.dsn, settings.effective_jwt_secret
    app.state.lease, app.state.max_hold = settings.lease, settings.lease_max_hold
    # What targets/launch.py `serve` passes to uvicorn, with one worker.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        loop="asyncio",
        http="httptools",
    )


if __name__ == "__main__":
    main()

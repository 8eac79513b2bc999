"""Every process of the platform, in one sorted table.

One image, one command: a deployment picks its process by name. Each entry
says what the process is (an HTTP server, a loop that runs until stopped, or
a one-shot job), which database it runs on, the secrets it needs, whether it
calls the regions, its port (a server's, or a loop's status port) and how it
starts. The command line, `up`, `serve --workers`, the deployment tests and
the README read this table; nothing else names a process.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, NoReturn

from fastapi import APIRouter, FastAPI

from event_review.central.assignment.routes import router as assignment_router
from event_review.central.audit.routes import router as audit_router
from event_review.central.auth.routes import router as auth_router
from event_review.central.dashboard.routes import router as dashboard_router
from event_review.central.events.routes import router as events_router
from event_review.central.forms.routes import router as forms_router
from event_review.central.ingest.routes import router as ingest_router
from event_review.central.payloads.routes import router as payloads_router
from event_review.central.qa.routes import router as qa_router
from event_review.central.queue_rules.routes import router as queue_rules_router
from event_review.central.regions.routes import router as regions_router
from event_review.central.reviews.routes import router as reviews_router
from event_review.central.search.routes import router as search_router
from event_review.central.stats.routes import router as stats_router
from event_review.central.teams.routes import router as teams_router
from event_review.central.users.routes import router as users_router
from event_review.central.web.routes import router as web_router
from event_review.central.webhooks.routes import router as webhooks_router
from event_review.central.writeback.routes import router as writeback_router
from event_review.regional.api.routes import router as regional_router
from event_review.regional.api.routes import router_v2 as regional_v2_router
from event_review.runtime.database import Database
from event_review.runtime.loops import LoopState
from event_review.runtime.postgres import ServerLocation
from event_review.settings import Secret, Settings
from event_review.targets import servers, workers
from event_review.targets.lifecycle import Side
from event_review.targets.servers import DatabaseSource


class Kind(StrEnum):
    SERVER = "server"  # `serve NAME`: an HTTP server
    LOOP = "loop"  # `NAME`: works until SIGTERM, answers probes on its status port
    JOB = "job"  # `NAME`: one run, then exits (a CronJob, a Job, an operator)


LoopWork = Callable[
    [Settings, Database, ServerLocation, str | None, LoopState], Coroutine[Any, Any, NoReturn]
]


@dataclass(frozen=True)
class Process:
    kind: ClassVar[Kind]

    name: str
    side: Side
    summary: str
    secrets: tuple[Secret, ...] = ()
    calls_regions: bool = False
    # A server's port, or a loop's status port (liveness, readiness, metrics).
    default_port: int | None = None
    # A regional process is one region's: it needs --region.
    per_region: bool = False
    # What in the process needs a database session of its own (LISTEN, a session
    # lock), which a transaction pooler cannot give: it connects by the direct URL.
    session_use: str | None = None

    def needs_session(self, settings: Settings) -> str | None:  # noqa: ARG002 (a server's depends on it)
        return self.session_use


@dataclass(frozen=True)
class Server(Process):
    kind: ClassVar[Kind] = Kind.SERVER
    routers: Sequence[APIRouter] = ()
    # Serves users: keeps their principals between requests (identity/cache.py).
    caches_principals: bool = False

    def needs_session(self, settings: Settings) -> str | None:
        if self.caches_principals and settings.principal_cache_seconds > 0:
            return servers.PRINCIPAL_CACHE_PURPOSE
        return self.session_use

    def build(
        self, settings: Settings, source: DatabaseSource = None, region: str | None = None
    ) -> FastAPI:
        if self.side is Side.NONE:
            return servers.static_app(settings, name=self.name, routers=self.routers)
        if self.side is Side.REGIONAL:
            if region is None:
                raise ValueError(f"{self.name} needs a region")
            return servers.regional_app(
                settings, source, name=self.name, routers=self.routers, region=region
            )
        return servers.central_app(
            settings, source, name=self.name, routers=self.routers,
            calls_regions=self.calls_regions, caches_principals=self.caches_principals,
        )  # fmt: skip


@dataclass(frozen=True)
class Loop(Process):
    kind: ClassVar[Kind] = Kind.LOOP
    work: LoopWork | None = field(default=None, repr=False)
    pool_size: int = 5

    def instance(self, region: str | None) -> str:
        """This loop's name in logs, metrics and pg_stat_activity: `forwarder-eu`."""
        return f"{self.name}-{region}" if self.per_region else self.name


@dataclass(frozen=True)
class Job(Process):
    """`work(settings, database, **options)` on a connected, migrated database; a job
    that makes its own connection (`migrate`) has `connects=False` and no database."""

    kind: ClassVar[Kind] = Kind.JOB
    work: Callable[..., Any] | None = field(default=None, repr=False)
    connects: bool = True


_INGESTOR = (ingest_router,)
_REVIEW = (
    auth_router,
    assignment_router,
    events_router,
    forms_router,
    payloads_router,
    reviews_router,
    qa_router,
    queue_rules_router,
    search_router,
    stats_router,
    writeback_router,
    webhooks_router,
    regions_router,
    teams_router,
    users_router,
    audit_router,
    dashboard_router,
)
_CENTRE_CALLS_REGIONS = (Secret.REGIONAL_SIGNING_KEY,)

PROCESSES: tuple[Process, ...] = tuple(
    sorted(
        (
            Server(
                "all",
                Side.CENTRAL,
                "every central service and the web client in one process",
                secrets=(Secret.JWT_SECRET, *_CENTRE_CALLS_REGIONS),
                calls_regions=True,
                default_port=8000,
                routers=(*_REVIEW, *_INGESTOR, web_router),
                caches_principals=True,
            ),
            Loop(
                "exporter",
                Side.CENTRAL,
                "writes background search exports into central storage, resumably",
                default_port=9100,
                work=workers.exporter,
                pool_size=2,
            ),
            Loop(
                "forwarder",
                Side.REGIONAL,
                "sends a region's new events' metadata to the central ingestor",
                secrets=(Secret.INGEST_KEY,),
                default_port=9100,
                per_region=True,
                work=workers.forwarder,
                pool_size=2,
                session_use=workers.FORWARDER_SESSION_USE,
            ),
            Server(
                "ingestor",
                Side.CENTRAL,
                "event ingestor (metadata from regional forwarders)",
                # Forwarders authenticate with region ingest keys from the database.
                default_port=8001,
                routers=_INGESTOR,
            ),
            Job(
                "migrate",
                Side.BOTH,
                "applies the central schema, or a region's with --region",
                work=workers.migrate,
                connects=False,
            ),
            Job(
                "purge",
                Side.CENTRAL,
                "deletes completed events per their region's retention policy",
                work=workers.purge_completed,
            ),
            Server(
                "regional-api",
                Side.REGIONAL,
                "a region's payload fetch and review update APIs",
                secrets=(Secret.CENTRAL_PUBLIC_KEYS,),
                default_port=9000,
                per_region=True,
                routers=(regional_router, regional_v2_router),
            ),
            Job(
                "requeue",
                Side.CENTRAL,
                "puts expired or orphaned assignments back in the queue (a CronJob)",
                work=workers.requeue,
            ),
            Server(
                "review",
                Side.CENTRAL,
                "auth, assignment, events, payload proxy, reviews, admin",
                secrets=(Secret.JWT_SECRET, *_CENTRE_CALLS_REGIONS),
                calls_regions=True,
                default_port=8000,
                routers=_REVIEW,
                caches_principals=True,
            ),
            Job(
                "simulate",
                Side.REGIONAL,
                "writes realistic edge-device events into a region's database",
                per_region=True,
                work=workers.simulate_events,
            ),
            Loop(
                "sla",
                Side.CENTRAL,
                "measures the queue's SLAs: Prometheus gauges, breaches, `sla.breached` webhooks",
                default_port=9100,
                work=workers.sla,
                pool_size=2,
            ),
            Server(
                "web",
                Side.NONE,
                "the reviewer and admin web client at / (static files; the browser calls "
                "/api/v1 on the same origin, which an ingress routes to `review`)",
                default_port=8080,
                routers=(web_router,),
            ),
            Loop(
                "webhooks",
                Side.CENTRAL,
                "delivers signed webhooks to registered receivers (retries with back-off, parks)",
                default_port=9100,
                work=workers.webhooks,
            ),
            Loop(
                "writeback",
                Side.CENTRAL,
                "delivers review outcomes to the regions (retries with back-off, parks)",
                secrets=_CENTRE_CALLS_REGIONS,
                calls_regions=True,
                default_port=9100,
                work=workers.writeback,
            ),
        ),
        key=lambda process: process.name,
    )
)

SERVERS: dict[str, Server] = {p.name: p for p in PROCESSES if isinstance(p, Server)}
LOOPS: dict[str, Loop] = {p.name: p for p in PROCESSES if isinstance(p, Loop)}
JOBS: dict[str, Job] = {p.name: p for p in PROCESSES if isinstance(p, Job)}
BY_NAME: dict[str, Process] = {p.name: p for p in PROCESSES}

"""The central platform's own metrics (HTTP latency is measured for every target)."""

from __future__ import annotations

import time

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import text

from event_review.runtime.database import Database

INGESTED = Counter(
    "event_review_ingested_events_total",
    "Events received from forwarders, by region and outcome (created or existing).",
    ["region", "outcome"],
)
INGEST_REFUSED = Counter(
    "event_review_ingest_refused_total", "Ingest requests refused, by reason.", ["reason"]
)
CLAIM_SECONDS = Histogram(
    "event_review_claim_duration_seconds",
    "Time to claim a batch (or return the held one).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CLAIMED = Counter("event_review_claimed_events_total", "Events handed to reviewers.")
REVIEWED = Counter("event_review_reviews_total", "Reviews submitted, by decision.", ["decision"])
REQUEUED = Counter("event_review_requeued_events_total", "Assignments put back in the queue.")
PAYLOADS = Counter(
    "event_review_payload_requests_total",
    "Payload proxy requests that reached a region, by region and outcome.",
    ["region", "outcome"],
)
WRITEBACK_ATTEMPTS = Counter(
    "event_review_writeback_attempts_total",
    "Write-back attempts, by region and result (delivered, retry, failed).",
    ["region", "result"],
)
WRITEBACK_LAG = Histogram(
    "event_review_writeback_lag_seconds",
    "From review submission to the region's confirmation.",
    ["region"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600),
)
WEBHOOK_ATTEMPTS = Counter(
    "event_review_webhook_attempts_total",
    "Webhook delivery attempts, by kind and result (delivered, retry, failed, refused).",
    ["kind", "result"],
)
EXPORT_ROWS = Counter("event_review_export_rows_total", "Rows written by background exports.")
EXPORT_JOBS = Counter(
    "event_review_export_jobs_total",
    "Background exports that ended, by outcome (done, failed, expired).",
    ["outcome"],
)
QUEUE_DEPTH = Gauge(
    "event_review_events", "Central events by region and status.", ["region", "status"]
)
OLDEST_PENDING = Gauge(
    "event_review_oldest_pending_age_seconds", "Age of the oldest pending event.", ["region"]
)
WRITEBACK_BACKLOG = Gauge(
    "event_review_writeback_outbox", "Write-back outbox rows by status.", ["status"]
)
SLA_SECONDS = Gauge(
    "event_review_sla_seconds",
    "An SLA measure now (oldest_pending: age of the oldest unreviewed event; first_review: "
    "90th percentile of time to first review over the SLA's window), by SLA and measure.",
    ["sla", "measure"],
)
SLA_TARGET = Gauge(
    "event_review_sla_target_seconds", "An SLA measure's target.", ["sla", "measure"]
)
SLA_BREACHED = Gauge(
    "event_review_sla_breached",
    "1 while an SLA measure is over its target, else 0.",
    ["sla", "measure"],
)

# Counting millions of rows on every scrape of every replica would be a load
# of its own; a short cache keeps the gauges fresh enough for dashboards.
_REFRESH_EVERY = 15.0
_STATE = {"refreshed_at": 0.0}

_DEPTH = text(
    """
    SELECT region_code, status, count(*) AS n,
           GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp()
               - min(created_at) FILTER (WHERE status = 'pending'))) AS age
    FROM events GROUP BY region_code, status
    """
)
_BACKLOG = text("SELECT status, count(*) FROM writeback_outbox GROUP BY status")


async def refresh_gauges(app: FastAPI) -> None:
    now = time.monotonic()
    if now - _STATE["refreshed_at"] < _REFRESH_EVERY:
        return
    _STATE["refreshed_at"] = now
    database: Database = app.state.database
    async with database.sessionmaker() as session:
        await session.execute(text("SET LOCAL statement_timeout = '5s'"))
        depth = (await session.execute(_DEPTH)).all()
        backlog = (await session.execute(_BACKLOG)).all()
    QUEUE_DEPTH.clear()
    OLDEST_PENDING.clear()
    for region, status, count, age in depth:
        QUEUE_DEPTH.labels(region, status).set(count)
        if age is not None:
            OLDEST_PENDING.labels(region).set(float(age))
    WRITEBACK_BACKLOG.clear()
    for status, count in backlog:
        WRITEBACK_BACKLOG.labels(status).set(count)

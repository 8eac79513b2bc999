from __future__ import annotations

from prometheus_client import Counter, Gauge

FORWARDED = Counter(
    "event_review_forwarded_events_total", "Events the centre acknowledged.", ["region"]
)
REJECTED = Counter(
    "event_review_forward_rejected_events_total",
    "Events set aside as invalid (see forward_rejects).",
    ["region"],
)
CENTRE_UNAVAILABLE = Counter(
    "event_review_forward_centre_unavailable_total",
    "Batches the centre did not take (retried with backoff).",
    ["region"],
)
LAST_FORWARD = Gauge(
    "event_review_forward_last_success_timestamp_seconds",
    "When the centre last acknowledged a batch.",
    ["region"],
)

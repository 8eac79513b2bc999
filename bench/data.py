"""Deterministic event data, identical for the platform and its baseline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


EVENT_TYPES = ("collision", "driver_distraction", "harsh_braking", "lane_departure")
SEVERITIES = ("high", "medium", "low")
VEHICLE_CLASSES = ("van", "truck", "bus", "car")
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)

METADATA_COLUMNS = (
    "external_event_id",
    "region_code",
    "event_type",
    "occurred_at",
    "device_id",
    "priority",
    "summary",
)


def summary(i: int) -> dict[str, str]:
    return {
        "severity": SEVERITIES[i % 3],
        "vehicle_class": VEHICLE_CLASSES[(i // 3) % 4],
        "speed_band": f"{(i % 6) * 20}-{(i % 6) * 20 + 20} km/h",
    }


def priority(i: int) -> int:
    return (i * 37) % 101


def metadata(prefix: str, region: str, i: int) -> dict[str, Any]:
    """One event as a forwarder sends it to /internal-ingest/event(s)."""
    return {
        "external_event_id": f"{prefix}-{region}-{i}",
        "region_code": region,
        "event_type": EVENT_TYPES[i % 4],
        "occurred_at": (BASE_TIME + timedelta(seconds=i)).isoformat(),
        "device_id": f"dev-{region}-{i % 250:04d}",
        "priority": priority(i),
        "summary": summary(i),
    }


def record(prefix: str, region: str, i: int) -> tuple[Any, ...]:
    """The same event as a row for COPY / INSERT (columns: METADATA_COLUMNS)."""
    return (
        f"{prefix}-{region}-{i}",
        region,
        EVENT_TYPES[i % 4],
        BASE_TIME + timedelta(seconds=i),
        f"dev-{region}-{i % 250:04d}",
        priority(i),
        json.dumps(summary(i), separators=(",", ":")),
    )


def generated_events_sql(status: str, extra_columns: str = "", extra_values: str = "") -> str:
    """INSERT … SELECT generate_series($1, $2) into the central `events` table.

    Deterministic (event ids from md5), so two databases loaded with the same
    range hold identical rows. $3 is the external id prefix.
    """
    return f"""
        INSERT INTO events (event_id, external_event_id, region_code, event_type, occurred_at,
                            device_id, priority, summary, status, created_at{extra_columns})
        SELECT md5($3 || g)::uuid,
               $3 || '-' || g,
               (ARRAY['us','ca','apac','eu'])[1 + g % 4],
               (ARRAY['collision','driver_distraction','harsh_braking','lane_departure'])
                   [1 + (g / 4) % 4],
               timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second',
               'dev-' || (g % 997),
               (g * 37) % 101,
               jsonb_build_object('severity', (ARRAY['high','medium','low'])[1 + g % 3],
                                  'vehicle_class', (ARRAY['van','truck','bus','car'])[1 + g % 4],
                                  'speed_band', ((g % 6) * 20) || '-' || ((g % 6) * 20 + 20)
                                                || ' km/h'),
               '{status}',
               timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond'
               {extra_values}
        FROM generate_series($1::bigint, $2::bigint) AS g
    """

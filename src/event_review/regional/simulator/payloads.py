"""Realistic edge-device events, personal data included, as a regional system holds them."""

from __future__ import annotations

import base64
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from event_review.regional.simulator.image import dashcam_frame

EVENT_TYPES = {
    # type: (base priority, typical speed km/h)
    "collision": (85, 55),
    "driver_distraction": (60, 70),
    "harsh_braking": (40, 80),
    "lane_departure": (20, 95),
}
VEHICLE_CLASSES = ("van", "truck", "bus", "car")
FIRST_NAMES = ("Alex", "Maria", "Jon", "Aiko", "Priya", "Lukas", "Chloé", "Mateo", "Sara", "Wei")
LAST_NAMES = ("Novak", "Garcia", "Smith", "Tanaka", "Sharma", "Müller", "Martin", "Rossi", "Li")
# Rough centres per region, so the coordinates look like the region's roads.
CENTRES = {
    "us": (39.0, -98.0),
    "ca": (49.3, -123.1),
    "apac": (-33.9, 151.2),
    "eu": (50.1, 8.7),
}


def _speed_band(speed: float) -> str:
    low = int(speed // 20) * 20
    return f"{low}-{low + 20} km/h"


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"{letters}-{rng.randint(100, 9999)}"


def make_event(region: str, rng: random.Random, now: datetime | None = None) -> dict[str, Any]:
    """One event document: what the device uploaded and the regional system stored."""
    now = now or datetime.now(UTC)
    event_type = rng.choice(list(EVENT_TYPES))
    base_priority, typical_speed = EVENT_TYPES[event_type]
    occurred_at = now - timedelta(seconds=rng.randint(0, 600))
    lat0, lon0 = CENTRES.get(region, (0.0, 0.0))
    lat, lon = lat0 + rng.uniform(-2, 2), lon0 + rng.uniform(-2, 2)
    speed = max(5.0, rng.gauss(typical_speed, 15))
    samples = []
    for i in range(50):  # 5 s at 10 Hz around the trigger
        t = round(i * 0.1, 1)
        drop = 25 if event_type in ("harsh_braking", "collision") and i > 25 else 0
        samples.append(
            {
                "t": t,
                "speed_kmh": round(max(0.0, speed - drop * (i - 25) / 25 + rng.gauss(0, 0.8)), 1),
                "accel_g": round(rng.gauss(-0.6 if drop else 0.0, 0.1), 3),
            }
        )
    severity = "high" if base_priority >= 60 else "medium" if base_priority >= 30 else "low"
    device = f"dev-{region}-{rng.randint(1, 250):04d}"
    return {
        "external_event_id": f"{region}-{uuid.UUID(int=rng.getrandbits(128))}",
        "event_type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "device_id": device,
        "priority": min(100, max(0, base_priority + rng.randint(-10, 10))),
        "severity": severity,
        "vehicle_class": rng.choice(VEHICLE_CLASSES),
        "speed_band": _speed_band(speed),
        "driver": {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "licence_number": f"D{rng.randint(10_000_000, 99_999_999)}",
        },
        "vehicle": {"licence_plate": _plate(rng), "vin": uuid.UUID(int=rng.getrandbits(128)).hex},
        "location": {
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": round(rng.uniform(2, 15), 1),
        },
        "gps_track": [
            {"t": -i, "lat": round(lat - i * 0.0002, 6), "lon": round(lon - i * 0.0003, 6)}
            for i in range(5, -1, -1)
        ],
        "sensors": {"sample_rate_hz": 10, "series": samples},
        "image": {
            "mime": "image/png",
            "width": 64,
            "height": 48,
            "data_base64": base64.b64encode(dashcam_frame(rng)).decode(),
        },
        # A unique marker per event: tests search the centre for it to prove
        # that no payload ever reached central storage or logs.
        "compliance_canary": f"canary-{uuid.UUID(int=rng.getrandbits(128)).hex}",
    }

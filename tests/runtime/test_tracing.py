"""Tracing, in a process of its own: OpenTelemetry's tracer provider is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from event_review.runtime.postgres import ServerLocation
from event_review.settings import Settings

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import httpx
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from event_review.runtime.database import Database
    from event_review.runtime.postgres import parse_database_url
    from event_review.runtime.tracing import configure_tracing
    from event_review.settings import Settings
    from event_review.targets.registry import SERVERS

    exporter = InMemorySpanExporter()
    settings = Settings(environment="development", data_dir=sys.argv[2])
    assert configure_tracing(settings, "event-review-test", exporter=exporter)

    async def main():
        database = Database.connect(parse_database_url(sys.argv[1]), application_name="t")
        app = SERVERS["all"].build(settings, database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/healthz")
            await client.post(
                "/api/v1/auth/login",
                json={"username": "nobody", "password": "secret-password-in-body"},
            )
        await database.dispose()

    asyncio.run(main())
    print(json.dumps([
        {"name": s.name, "attributes": {k: str(v) for k, v in (s.attributes or {}).items()}}
        for s in exporter.get_finished_spans()
    ]))
    """
)


def test_traces_cover_routes_and_sql_but_never_bodies(
    fresh_db: ServerLocation, settings: Settings
) -> None:
    url = fresh_db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    spans = json.loads(result.stdout.strip().splitlines()[-1])
    names = [s["name"] for s in spans]
    assert any("/api/v1/auth/login" in n for n in names), names
    assert not any("healthz" in n for n in names), names  # probes are not traced
    assert any(s["attributes"].get("db.system") == "postgresql" for s in spans), names
    assert "secret-password-in-body" not in result.stdout

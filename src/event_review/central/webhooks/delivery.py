"""Deliver webhook outbox rows to their receivers, signed, reliably, and never to where
the centre may not call.

Each attempt resolves the receiver's host again and checks every address
(destination.py: DNS can change after registration), then connects to the
address it checked. The body is signed with the subscription's secret by the
`standardwebhooks` library (headers `webhook-id`, `webhook-timestamp`,
`webhook-signature`); the id is the row's message id, the same on every
retry, so a receiver drops a repeat. A 2xx answer delivers; any other status,
a timeout or a connection error is tried again later with exponential backoff
and jitter, and after EVENT_REVIEW_WEBHOOK_MAX_ATTEMPTS the row is parked for
an admin to retry. A destination that is refused parks at once: retrying
cannot make a private address public. Nothing here runs inside a request: a
slow or dead receiver delays only its own rows.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.identity.actor import Actor
from event_review.central.metrics import WEBHOOK_ATTEMPTS
from event_review.central.webhooks import destination, repository
from event_review.central.webhooks.repository import Due
from event_review.runtime.loops import LoopState, attempt_each, backoff, run_forever
from event_review.settings import Settings

log = structlog.get_logger(__name__)

ACTOR = Actor.service("webhooks")
LOOP = "webhooks"
USER_AGENT = "event-review-webhooks/1"


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The client deliveries go out through.

    No redirects (a 3xx could point anywhere; the check was for this URL), no
    proxy from the environment (it would resolve the name itself, past the
    check), and no kept-alive connections: the pool knows connections by
    address, and a TLS connection verified for one receiver's name must not
    carry another receiver's body to a shared address.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=0),
        headers={"user-agent": USER_AGENT},
    )


def serialise(body: dict[str, object]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers for `body`, signed now."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
    }


class Failure(Exception):
    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable


class WebhookWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.http = http
        self.settings = settings
        self.allowed = settings.webhook_networks
        # Past resolving plus the whole attempt, so a slow one is never claimed twice.
        self.visibility = timedelta(
            seconds=destination.RESOLVE_TIMEOUT_SECONDS + settings.webhook_timeout_seconds * 2 + 5
        )

    async def run(self, state: LoopState | None = None, idle_seconds: float = 1.0) -> NoReturn:
        """Deliver until cancelled, whatever fails on the way."""

        async def iteration() -> bool:
            return await self.deliver_due() > 0

        await run_forever(state or LoopState(LOOP), iteration, idle_seconds=idle_seconds)

    async def deliver_due(self) -> int:
        """One pass over due rows; returns how many were attempted.

        Every claimed row gets its attempt even when another one fails; the
        first failure of our own (the database) is raised afterwards, for the
        loop to back off on.
        """
        async with self.sessionmaker() as session, session.begin():
            due = await repository.claim_due(
                session, self.settings.webhook_batch_size, self.visibility
            )
        await attempt_each(due, self._deliver)
        return len(due)

    async def _deliver(self, due: Due) -> None:
        try:
            status_code = await self._send(due)
        except Failure as exc:
            await self._failed(due, exc)
            return
        async with self.sessionmaker() as session, session.begin():
            await repository.mark_delivered(session, due.delivery_id, status_code)
        WEBHOOK_ATTEMPTS.labels(due.kind, "delivered").inc()
        log.info(
            "webhook.delivered",
            delivery_id=due.delivery_id,
            kind=due.kind,
            attempts=due.attempts,
            status_code=status_code,
        )

    async def _send(self, due: Due) -> int:
        """The receiver's 2xx status, or a Failure that says what went wrong."""
        try:
            target = await destination.resolve(due.url, self.allowed)
        except destination.Refused as exc:
            raise Failure(f"destination refused: {exc}", retryable=False) from exc
        except destination.Unresolvable as exc:
            raise Failure(str(exc)) from exc
        body = serialise(due.body)
        headers = signed_headers(due.secret, str(due.message_id), body)
        # The checked address in the URL; the name in Host and in TLS (SNI and
        # certificate check), so the receiver sees its own name.
        headers["host"] = target.host_header
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        request = self.http.build_request(
            "POST", target.pinned_url, content=body.encode(), headers=headers,
            extensions=extensions,
        )  # fmt: skip
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                # The answer's body is never read: a receiver cannot make us hold much.
                response = await self.http.send(request, stream=True)
                await response.aclose()
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise Failure(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if not 200 <= response.status_code < 300:
            raise Failure(
                f"the receiver answered HTTP {response.status_code}",
                status_code=response.status_code,
            )
        return response.status_code

    async def _failed(self, due: Due, failure: Failure) -> None:
        error = str(failure)
        give_up = not failure.retryable or due.attempts >= self.settings.webhook_max_attempts
        async with self.sessionmaker() as session, session.begin():
            if give_up:
                await repository.park(
                    session, due.delivery_id, error=error, status_code=failure.status_code
                )
                await audit.record(
                    session,
                    actor=ACTOR,
                    action=AuditAction.WEBHOOK_DELIVERY_FAILED,
                    event_id=due.event_id,
                    details={
                        "delivery_id": due.delivery_id,
                        "webhook_id": str(due.webhook_id),
                        "kind": due.kind,
                        "attempts": due.attempts,
                        "error": error[:500],
                    },
                )
            else:
                delay = backoff(
                    due.attempts,
                    self.settings.webhook_backoff_seconds,
                    self.settings.webhook_backoff_max_seconds,
                )
                await repository.reschedule(
                    session,
                    due.delivery_id,
                    error=error,
                    status_code=failure.status_code,
                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
                )
        result = "retry" if not give_up else "failed" if failure.retryable else "refused"
        WEBHOOK_ATTEMPTS.labels(due.kind, result).inc()
        log.warning(
            "webhook.attempt_failed",
            delivery_id=due.delivery_id,
            kind=due.kind,
            attempts=due.attempts,
            parked=give_up,
            error=error[:200],
        )

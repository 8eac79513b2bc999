from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

# -- subscriptions ------------------------------------------------------------------


async def add(session: AsyncSession, **values: Any) -> WebhookSubscription:
    subscription = WebhookSubscription(**values)
    session.add(subscription)
    await session.flush()
    await session.refresh(subscription)
    return subscription


async def get(
    session: AsyncSession, webhook_id: uuid.UUID, *, for_update: bool = False
) -> WebhookSubscription | None:
    statement = select(WebhookSubscription).where(WebhookSubscription.webhook_id == webhook_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def list_page(
    session: AsyncSession, limit: int, offset: int
) -> Sequence[WebhookSubscription]:
    """Oldest first, limit + 1 rows (see central.paging)."""
    return (
        await session.scalars(
            select(WebhookSubscription)
            .order_by(WebhookSubscription.created_at, WebhookSubscription.webhook_id)
            .limit(limit + 1)
            .offset(offset)
        )
    ).all()


async def remove(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    await session.execute(
        delete(WebhookSubscription).where(WebhookSubscription.webhook_id == webhook_id)
    )


# -- deliveries ---------------------------------------------------------------------

# Claiming bumps next_attempt_at past the attempt's own timeout, so a worker
# that dies mid-call leaves the row to come back, never lost, and two workers
# never send one row at once. A paused (inactive) subscription's rows wait.
_CLAIM_DUE = text(
    """
    WITH due AS (
        SELECT d.delivery_id FROM webhook_deliveries AS d
        JOIN webhook_subscriptions AS s ON s.webhook_id = d.webhook_id AND s.active
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at
        LIMIT :limit
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_deliveries AS d
    SET next_attempt_at = now() + :visibility, attempts = d.attempts + 1
    FROM due, webhook_subscriptions AS s
    WHERE d.delivery_id = due.delivery_id AND s.webhook_id = d.webhook_id
    RETURNING d.delivery_id, d.webhook_id, d.message_id, d.kind, d.event_id, d.body,
              d.attempts, s.url, s.secret
    """
)


@dataclass(frozen=True)
class Due:
    delivery_id: int
    webhook_id: uuid.UUID
    message_id: uuid.UUID
    kind: str
    event_id: uuid.UUID | None
    body: dict[str, Any]
    attempts: int
    url: str
    secret: str


async def claim_due(session: AsyncSession, limit: int, visibility: timedelta) -> list[Due]:
    result = await session.execute(_CLAIM_DUE, {"limit": limit, "visibility": visibility})
    return [Due(**row._asdict()) for row in result]


async def mark_delivered(session: AsyncSession, delivery_id: int, status_code: int) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(
            status=DeliveryStatus.DELIVERED,
            delivered_at=func.now(),
            last_status_code=status_code,
            last_error=None,
        )
    )


async def reschedule(
    session: AsyncSession,
    delivery_id: int,
    *,
    error: str,
    status_code: int | None,
    next_attempt_at: datetime,
) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(
            last_error=error[:2000], last_status_code=status_code, next_attempt_at=next_attempt_at
        )
    )


async def park(
    session: AsyncSession, delivery_id: int, *, error: str, status_code: int | None
) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(status=DeliveryStatus.FAILED, last_error=error[:2000], last_status_code=status_code)
    )


async def deliveries_page(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> Sequence[WebhookDelivery]:
    """Newest first, limit + 1 rows, on ix_webhook_deliveries_webhook."""
    statement = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    statement = statement.order_by(WebhookDelivery.delivery_id.desc())
    return (await session.scalars(statement.limit(limit + 1).offset(offset))).all()


async def get_delivery_for_update(
    session: AsyncSession, delivery_id: int
) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id).with_for_update()
    )


async def requeue(session: AsyncSession, delivery_id: int) -> WebhookDelivery:
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.delivery_id == delivery_id)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=func.now())
        .returning(WebhookDelivery)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one()

"""The admin API of outbound webhooks: subscriptions, their secrets and their deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from event_review.central.db.models import DeliveryStatus
from event_review.central.identity.dependencies import Admin, AppSettings
from event_review.central.paging import DEFAULT_PAGE, Limit, Offset, Page
from event_review.central.webhooks import service
from event_review.central.webhooks.schemas import (
    DeliveryOut,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

# A signing secret in an answer: no cache may keep it.
_NO_STORE = {"Cache-Control": "no-store"}
_ERRORS = documented(
    e403="Only admins manage webhooks",
    e404="No such webhook (`webhook_not_found`), or an unknown region (`unknown_region`)",
    e422="Invalid input, or a URL the centre does not call (`webhook_target_refused`)",
)
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/webhooks", response_model=Page[WebhookOut])
async def list_webhooks(
    admin: Admin, session: DbSession, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> Page[WebhookOut]:
    """Webhook subscriptions, oldest first (secrets are never listed)."""
    del admin
    return await service.page(session, limit, offset)


@router.post(
    "/webhooks", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)  # fmt: skip
async def create_webhook(
    body: WebhookCreate, admin: Admin, session: DbSession, settings: AppSettings,
    response: Response,
) -> WebhookCreated:  # fmt: skip
    """Register a receiver. The answer holds its signing secret, once."""
    response.headers.update(_NO_STORE)
    return await service.add(
        session, body, allowed=settings.webhook_networks, actor=admin.as_actor()
    )


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, responses=_ERRORS)
async def get_webhook(webhook_id: uuid.UUID, admin: Admin, session: DbSession) -> WebhookOut:
    del admin
    return await service.get(session, webhook_id)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut, responses=_ERRORS)
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, admin: Admin, session: DbSession,
    settings: AppSettings,
) -> WebhookOut:  # fmt: skip
    """Change a subscription; fields left out stay as they are."""
    return await service.update(
        session, webhook_id, body, allowed=settings.webhook_networks, actor=admin.as_actor()
    )


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_webhook(webhook_id: uuid.UUID, admin: Admin, session: DbSession) -> None:
    """Remove a subscription and its deliveries, pending ones included."""
    await service.remove(session, webhook_id, actor=admin.as_actor())


@router.post(
    "/webhooks/{webhook_id}/rotate-secret", response_model=SecretRotated, responses=_ERRORS
)
async def rotate_secret(
    webhook_id: uuid.UUID, admin: Admin, session: DbSession, response: Response
) -> SecretRotated:
    """A new signing secret, shown once; the old one stops at once."""
    response.headers.update(_NO_STORE)
    return await service.rotate_secret(session, webhook_id, actor=admin.as_actor())


@router.get(
    "/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryOut], responses=_ERRORS
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    admin: Admin,
    session: DbSession,
    status: DeliveryStatus | None = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """A subscription's deliveries, newest first; `status=failed` lists the parked ones."""
    del admin
    return await service.deliveries(session, webhook_id, status, limit, offset)


@router.post(
    "/webhook-deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    responses=documented(
        e403="Only admins manage webhooks",
        e404="No such delivery",
        e409="Delivered already (`already_delivered`)",
    ),
)
async def retry_delivery(delivery_id: DeliveryId, admin: Admin, session: DbSession) -> DeliveryOut:
    """Give a parked (or waiting) delivery a fresh round of attempts, starting now."""
    return await service.retry(session, delivery_id, actor=admin.as_actor())

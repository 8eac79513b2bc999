"""Webhook subscriptions, as admins register and change them, and their deliveries.

A subscription's URL is checked (destination.py) whenever it is set, with the
same rules the worker applies again before every attempt. The signing secret
is made here, in the Standard Webhooks form, and shown on create and rotate
only.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction, DeliveryStatus, WebhookSubscription
from event_review.central.identity.actor import Actor
from event_review.central.paging import Page, page_of
from event_review.central.regions.service import known_codes
from event_review.central.webhooks import destination, repository
from event_review.central.webhooks.destination import IPNetwork
from event_review.central.webhooks.schemas import (
    DeliveryOut,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from event_review.runtime.errors import Conflict, NotFound, Unprocessable

SECRET_BYTES = 32


def new_secret() -> str:
    """`whsec_` + base64 of 256 random bits: what Standard Webhooks libraries read."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


async def checked_url(url: str, allowed: Sequence[IPNetwork]) -> str:
    """The URL, if the centre may call it now; else a 422 that says why."""
    try:
        await destination.resolve(url.strip(), allowed)
    except (destination.Refused, destination.Unresolvable) as exc:
        raise Unprocessable(
            f"the centre does not call this URL: {exc}",
            code="webhook_target_refused",
            details=[{"loc": ["body", "url"], "msg": str(exc), "type": "webhook_target_refused"}],
        ) from exc
    return url.strip()


def _event_types(given: Sequence[str] | None) -> list[str]:
    return sorted(set(given or ()))


async def _get(
    session: AsyncSession, webhook_id: uuid.UUID, *, for_update: bool = False
) -> WebhookSubscription:
    found = await repository.get(session, webhook_id, for_update=for_update)
    if found is None:
        raise NotFound(f"no webhook {webhook_id}", code="webhook_not_found")
    return found


def _summary(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit trail keeps of a subscription: never its secret, nor the URL's path
    and query, where some receivers put a token of their own."""
    return {
        "webhook_id": str(subscription.webhook_id),
        "host": urlsplit(subscription.url).hostname,
        "kinds": subscription.kinds,
        "regions": subscription.regions,
        "event_types": subscription.event_types,
        "active": subscription.active,
    }


async def add(
    session: AsyncSession, body: WebhookCreate, *, allowed: Sequence[IPNetwork], actor: Actor
) -> WebhookCreated:
    url = await checked_url(body.url, allowed)
    subscription = await repository.add(
        session,
        url=url,
        description=body.description.strip(),
        kinds=sorted({k.value for k in body.kinds}),
        regions=await known_codes(session, body.regions or []),
        event_types=_event_types(body.event_types),
        secret=new_secret(),
        active=body.active,
        created_by=actor.name,
    )
    await audit.record(
        session, actor=actor, action=AuditAction.WEBHOOK_ADDED, details=_summary(subscription)
    )
    return WebhookCreated(
        **WebhookOut.model_validate(subscription).model_dump(), secret=subscription.secret
    )


async def page(session: AsyncSession, limit: int, offset: int) -> Page[WebhookOut]:
    rows = await repository.list_page(session, limit, offset)
    return page_of(rows, limit, offset, WebhookOut.model_validate)


async def get(session: AsyncSession, webhook_id: uuid.UUID) -> WebhookOut:
    return WebhookOut.model_validate(await _get(session, webhook_id))


async def update(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    changes: WebhookUpdate,
    *,
    allowed: Sequence[IPNetwork],
    actor: Actor,
) -> WebhookOut:
    """The fields given change; `regions` / `event_types` set to null or [] mean all."""
    subscription = await _get(session, webhook_id, for_update=True)
    given = changes.model_fields_set
    for name in ("url", "description", "kinds", "active"):
        if name in given and getattr(changes, name) is None:
            raise Unprocessable(
                f"{name} cannot be null: leave it out to keep it",
                code="validation_error",
                details=[{"loc": ["body", name], "msg": "may not be null", "type": "missing"}],
            )
    if changes.url is not None:
        subscription.url = await checked_url(changes.url, allowed)
    if changes.description is not None:
        subscription.description = changes.description.strip()
    if changes.kinds is not None:
        subscription.kinds = sorted({k.value for k in changes.kinds})
    if "regions" in given:
        subscription.regions = await known_codes(session, changes.regions or [])
    if "event_types" in given:
        subscription.event_types = _event_types(changes.event_types)
    if changes.active is not None:
        subscription.active = changes.active
    subscription.updated_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=AuditAction.WEBHOOK_UPDATED,
        details={**_summary(subscription), "changed": sorted(given)},
    )
    return WebhookOut.model_validate(subscription)


async def remove(session: AsyncSession, webhook_id: uuid.UUID, *, actor: Actor) -> None:
    """The subscription and its deliveries, pending ones included, go."""
    subscription = await _get(session, webhook_id, for_update=True)
    details = _summary(subscription)
    await repository.remove(session, webhook_id)
    await audit.record(session, actor=actor, action=AuditAction.WEBHOOK_DELETED, details=details)


async def rotate_secret(
    session: AsyncSession, webhook_id: uuid.UUID, *, actor: Actor
) -> SecretRotated:
    """A new secret at once: deliveries from now on, retries included, are signed with it."""
    subscription = await _get(session, webhook_id, for_update=True)
    subscription.secret = new_secret()
    subscription.updated_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=AuditAction.WEBHOOK_SECRET_ROTATED,
        details={"webhook_id": str(webhook_id)},
    )
    return SecretRotated(webhook_id=webhook_id, secret=subscription.secret)


async def deliveries(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> Page[DeliveryOut]:
    await _get(session, webhook_id)
    rows = await repository.deliveries_page(session, webhook_id, status, limit, offset)
    return page_of(rows, limit, offset, DeliveryOut.model_validate)


async def retry(session: AsyncSession, delivery_id: int, *, actor: Actor) -> DeliveryOut:
    """A fresh round of attempts, starting now, for a delivery not yet delivered."""
    row = await repository.get_delivery_for_update(session, delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id}", code="webhook_delivery_not_found")
    if row.status == DeliveryStatus.DELIVERED:
        raise Conflict("this delivery was delivered already", code="already_delivered")
    updated = await repository.requeue(session, delivery_id)
    await audit.record(
        session,
        actor=actor,
        action=AuditAction.WEBHOOK_DELIVERY_RETRIED,
        event_id=updated.event_id,
        details={"delivery_id": delivery_id, "webhook_id": str(updated.webhook_id)},
    )
    return DeliveryOut.model_validate(updated)

"""What the admin API tests share."""

from __future__ import annotations

import httpx

from event_review.central.db.models import Role
from tests.factories import Factory, UserHandle

ADMIN = "/api/v1/admin"


async def admin(factory: Factory) -> UserHandle:
    return await factory.reviewer(["eu"], Role.ADMIN)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code

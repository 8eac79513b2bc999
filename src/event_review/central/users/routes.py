"""The admin API of users: for admins only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from event_review.central.identity.dependencies import Admin
from event_review.central.paging import DEFAULT_PAGE, Limit, Offset, Page
from event_review.central.users import service
from event_review.central.users.schemas import PasswordReset, UserCreate, UserOut, UserUpdate
from event_review.contracts.errors import documented
from event_review.contracts.fields import LINE
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])

_ERRORS = documented(
    e403="Admins only",
    e404="No such user, or an unknown team",
    e409="The user exists already, or it would lock you out",
)


@router.get("", response_model=Page[UserOut])
async def list_users(
    admin: Admin,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=64, description="Part of a username"), LINE] = None,
    active: bool | None = None,
) -> Page[UserOut]:
    del admin
    return await service.users_page(session, limit, offset, search=q, active=active)


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
async def create_user(body: UserCreate, admin: Admin, session: DbSession) -> UserOut:
    return await service.add_user(
        session, body.username, body.password, body.role, body.team, actor=admin.as_actor()
    )


@router.patch("/{user_id}", response_model=UserOut, responses=_ERRORS)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: Admin, session: DbSession
) -> UserOut:
    """Change a user's role or team."""
    return await service.update_user(
        session, user_id, body, actor=admin.as_actor(), acting_user_id=admin.user_id
    )


@router.post("/{user_id}/deactivate", response_model=UserOut, responses=_ERRORS)
async def deactivate_user(user_id: uuid.UUID, admin: Admin, session: DbSession) -> UserOut:
    """The user can no longer log in, and every session they have ends now."""
    return await service.set_active(
        session, user_id, False, actor=admin.as_actor(), acting_user_id=admin.user_id
    )


@router.post("/{user_id}/activate", response_model=UserOut, responses=_ERRORS)
async def activate_user(user_id: uuid.UUID, admin: Admin, session: DbSession) -> UserOut:
    return await service.set_active(
        session, user_id, True, actor=admin.as_actor(), acting_user_id=admin.user_id
    )


@router.post("/{user_id}/password", response_model=UserOut, responses=_ERRORS)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, admin: Admin, session: DbSession
) -> UserOut:
    """Set a new password; the user's current sessions end."""
    return await service.reset_password(session, user_id, body.password, actor=admin.as_actor())

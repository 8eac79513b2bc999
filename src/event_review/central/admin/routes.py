"""The admin API: regions, teams, users and the audit log.

Writes need the admin role. Leads may read regions and teams (what their
dashboard is about); users and the audit log are for admins only.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from event_review.central.admin import service
from event_review.central.admin.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    AuditOut,
    IngestKeyIssued,
    IngestKeyRequest,
    Page,
    PasswordReset,
    RegionCreate,
    RegionCreated,
    RegionOut,
    RegionUpdate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from event_review.central.auth.dependencies import require_role
from event_review.central.auth.principal import Principal
from event_review.central.db.models import Role
from event_review.contracts.errors import ErrorBody
from event_review.contracts.fields import LINE
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Overseer = Annotated[Principal, Depends(require_role(Role.LEAD, Role.ADMIN))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# Team ids are PostgreSQL integers: anything larger can name no team.
TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegionCode = Annotated[str, Path(max_length=64), LINE]

# A freshly issued ingest key is a secret: no cache may keep the response.
_NO_STORE = {"Cache-Control": "no-store"}

_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody, "description": "Your role may not do this"},
    404: {"model": ErrorBody, "description": "No such region, team or user"},
    409: {"model": ErrorBody, "description": "It exists already, or it would lock you out"},
    422: {"model": ErrorBody, "description": "Invalid input, naming each bad field"},
}


# -- regions -------------------------------------------------------------------


@router.get("/regions", response_model=Page[RegionOut])
async def list_regions(
    who: Overseer, session: DbSession, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> Page[RegionOut]:
    del who
    return await service.regions_page(session, limit, offset)


@router.post(
    "/regions",
    response_model=RegionCreated,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def create_region(
    body: RegionCreate, admin: Admin, session: DbSession, response: Response
) -> RegionCreated:
    """Register a region. The answer holds its ingest key, once: only a digest is stored."""
    response.headers.update(_NO_STORE)
    return await service.add_region(
        session, body.code, body.api_url, actor=admin.actor, actor_type=service.USER
    )


@router.patch("/regions/{code}", response_model=RegionOut, responses=_ERRORS)
async def update_region(
    code: RegionCode, body: RegionUpdate, admin: Admin, session: DbSession
) -> RegionOut:
    """Change a region's API URL or retention; fields left out stay as they are."""
    return await service.update_region(session, code, body, actor=admin.actor)


@router.post(
    "/regions/{code}/ingest-keys",
    response_model=IngestKeyIssued,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def issue_ingest_key(
    code: RegionCode, body: IngestKeyRequest, admin: Admin, session: DbSession, response: Response
) -> IngestKeyIssued:
    """A new ingest key, shown once; `revoke_others` ends the older keys now (rotation)."""
    response.headers.update(_NO_STORE)
    key = await service.issue_ingest_key(
        session, code, revoke_others=body.revoke_others, actor=admin.actor, actor_type=service.USER
    )
    return IngestKeyIssued(
        code=service.normalise_region_code(code), ingest_key=key, revoked_others=body.revoke_others
    )


# -- teams ---------------------------------------------------------------------


@router.get("/teams", response_model=Page[TeamOut])
async def list_teams(
    who: Overseer, session: DbSession, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> Page[TeamOut]:
    del who
    return await service.teams_page(session, limit, offset)


@router.post(
    "/teams", response_model=TeamOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def create_team(body: TeamCreate, admin: Admin, session: DbSession) -> TeamOut:
    return await service.add_team(
        session, body.name, body.regions, actor=admin.actor, actor_type=service.USER
    )


@router.patch("/teams/{team_id}", response_model=TeamOut, responses=_ERRORS)
async def update_team(
    team_id: TeamId, body: TeamUpdate, admin: Admin, session: DbSession
) -> TeamOut:
    """Rename a team, or replace the regions it reviews (the team-to-region mapping)."""
    return await service.update_team(session, team_id, body, actor=admin.actor)


# -- users ---------------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut])
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


@router.post(
    "/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def create_user(body: UserCreate, admin: Admin, session: DbSession) -> UserOut:
    return await service.add_user(
        session,
        body.username,
        body.password,
        body.role,
        body.team,
        actor=admin.actor,
        actor_type=service.USER,
    )


@router.patch("/users/{user_id}", response_model=UserOut, responses=_ERRORS)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: Admin, session: DbSession
) -> UserOut:
    """Change a user's role or team."""
    return await service.update_user(
        session, user_id, body, actor=admin.actor, acting_user_id=admin.user_id
    )


@router.post("/users/{user_id}/deactivate", response_model=UserOut, responses=_ERRORS)
async def deactivate_user(user_id: uuid.UUID, admin: Admin, session: DbSession) -> UserOut:
    """The user can no longer log in, and every session they have ends now."""
    return await service.set_active(
        session, user_id, False, actor=admin.actor, acting_user_id=admin.user_id
    )


@router.post("/users/{user_id}/activate", response_model=UserOut, responses=_ERRORS)
async def activate_user(user_id: uuid.UUID, admin: Admin, session: DbSession) -> UserOut:
    return await service.set_active(
        session, user_id, True, actor=admin.actor, acting_user_id=admin.user_id
    )


@router.post("/users/{user_id}/password", response_model=UserOut, responses=_ERRORS)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, admin: Admin, session: DbSession
) -> UserOut:
    """Set a new password; the user's current sessions end."""
    return await service.reset_password(session, user_id, body.password, actor=admin.actor)


# -- audit log -----------------------------------------------------------------


@router.get("/audit", response_model=Page[AuditOut])
async def list_audit(
    admin: Admin,
    session: DbSession,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
    action: Annotated[
        str | None,
        Query(max_length=64, description="An action, e.g. event.reviewed; `event.` for a family"),
        LINE,
    ] = None,
    actor: Annotated[str | None, Query(max_length=128), LINE] = None,
    event_id: uuid.UUID | None = None,
) -> Page[AuditOut]:
    """The audit trail, newest first: who did what to which event. Never payload content."""
    del admin
    return await service.audit_page(
        session, limit, offset, action=action, actor=actor, event_id=event_id
    )

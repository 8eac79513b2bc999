"""Who may call a route: the dependencies every route declares its access rule with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from event_review.central.db.models import Role
from event_review.central.identity import service
from event_review.central.identity.principal import Principal
from event_review.central.limits import enforce, limits
from event_review.runtime.access import access_rule
from event_review.runtime.database import DbSession
from event_review.runtime.errors import Forbidden, Unauthorized
from event_review.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# async although it awaits nothing: FastAPI runs a plain `def` dependency in its
# thread pool, a thread hop on every authenticated request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized(
            "missing bearer token: send 'Authorization: Bearer <token>'", code="missing_token"
        )
    return credentials.credentials


@access_rule("user")
async def current_principal(
    request: Request, session: DbSession, settings: AppSettings, credentials: BearerCredentials
) -> Principal:
    principal = await service.authenticate(
        session, settings, bearer_token(credentials), request.app.state.principal_cache
    )
    enforce(limits(request).user, str(principal.user_id), "requests")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    @access_rule("role:" + ",".join(sorted(r.value for r in roles)))
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed}", code="role_required")
        return principal

    return check


Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
# Leads and admins: who sees every event of their team's regions.
Overseer = Annotated[Principal, Depends(require_role(Role.LEAD, Role.ADMIN))]

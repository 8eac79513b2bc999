from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status

from event_review.central.auth import service
from event_review.central.auth.dependencies import AppSettings, CurrentPrincipal
from event_review.central.auth.schemas import LoginRequest, Me, TokenResponse
from event_review.central.limits import enforce, limits
from event_review.runtime.access import public
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokenResponse, dependencies=[Depends(public)])
async def login(
    body: LoginRequest, session: DbSession, settings: AppSettings, request: Request
) -> TokenResponse:
    # Per account and per address: slows guessing one password and spraying many.
    address = request.client.host if request.client else "unknown"
    enforce(limits(request).login, body.username.strip().lower(), "login attempts")
    enforce(limits(request).login_address, address, "login attempts from this address")
    return await service.login(session, settings, body.username, body.password)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: DbSession) -> None:
    await service.logout(session, principal)


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role,
        team=principal.team_name,
        regions=sorted(principal.region_codes),
        session_expires_at=principal.session_expires_at,
    )

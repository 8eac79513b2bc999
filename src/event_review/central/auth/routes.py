from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from event_review.central.auth import service
from event_review.central.auth.schemas import LoginRequest, Me, RefreshRequest, TokenResponse
from event_review.central.auth.sso_routes import router as sso_router
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.central.limits import enforce, limits
from event_review.runtime.access import public, publish_access_rules
from event_review.runtime.database import DbSession
from event_review.runtime.errors import Forbidden, error_response

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Annotated here: once included, its routes are out of reach of the app's annotation.
router.include_router(publish_access_rules(sso_router), prefix="/oidc")


@router.post("/login", response_model=TokenResponse, dependencies=[Depends(public)])
async def login(
    body: LoginRequest, session: DbSession, settings: AppSettings, request: Request
) -> TokenResponse:
    # Per account and per address: slows guessing one password and spraying many.
    if not settings.password_login:
        raise Forbidden(
            "password login is switched off here; sign in with single sign-on",
            code="password_login_disabled",
        )
    enforce(limits(request).login, body.username.strip().lower(), "login attempts")
    enforce(limits(request).login_address, _address(request), "login attempts from this address")
    return await service.login(session, settings, body.username, body.password)


@router.post("/refresh", response_model=TokenResponse, dependencies=[Depends(public)])
async def refresh(
    body: RefreshRequest, session: DbSession, settings: AppSettings, request: Request
) -> TokenResponse | JSONResponse:
    """Trade a refresh token for new tokens; each refresh token works once."""
    enforce(limits(request).login_address, _address(request), "refresh attempts")
    result = await service.refresh(session, settings, body.refresh_token)
    if isinstance(result, service.RefreshReused):
        return error_response(
            401,
            "refresh_token_reused",
            "this refresh token was already used; the session is ended, log in again",
        )
    return result


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


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"

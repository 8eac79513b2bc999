from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from event_review.central.auth import cookie, service
from event_review.central.auth.schemas import LoginRequest, Me, RefreshRequest, TokenResponse
from event_review.central.auth.sso_routes import router as sso_router
from event_review.central.identity.dependencies import AppSettings, CurrentPrincipal
from event_review.central.limits import enforce_shared, limits
from event_review.contracts.errors import documented
from event_review.runtime.access import public, publish_access_rules
from event_review.runtime.database import DbSession
from event_review.runtime.errors import Forbidden, Unauthorized, error_response

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Annotated here: once included, its routes are out of reach of the app's annotation.
router.include_router(publish_access_rules(sso_router), prefix="/oidc")


@router.post("/login", response_model=TokenResponse, dependencies=[Depends(public)])
async def login(
    body: LoginRequest,
    session: DbSession,
    settings: AppSettings,
    request: Request,
    response: Response,
) -> TokenResponse:
    # Per account and per address: slows guessing one password and spraying many.
    if not settings.password_login:
        raise Forbidden(
            "password login is switched off here; sign in with single sign-on",
            code="password_login_disabled",
        )
    found = limits(request)
    await enforce_shared(request, found.login, body.username.strip().lower(), "login attempts")
    await enforce_shared(
        request, found.login_address, _address(request), "login attempts from this address"
    )
    tokens = await service.login(session, settings, body.username, body.password)
    return _in_cookie(response, tokens) if body.refresh_cookie else tokens


@router.post(
    "/refresh",
    response_model=TokenResponse,
    dependencies=[Depends(public)],
    responses=documented(
        e401="No refresh token was sent (`not_logged_in`), it is not valid "
        "(`invalid_token`), it was already used (`refresh_token_reused`: the session "
        "is ended), or the session ended (`session_expired`, `account_inactive`)"
    ),
)
async def refresh(
    session: DbSession,
    settings: AppSettings,
    request: Request,
    response: Response,
    body: RefreshRequest | None = None,
) -> TokenResponse | JSONResponse:
    """Trade a refresh token for new tokens; each refresh token works once.

    The token comes in the body or, with no body, from the cookie a login with
    `refresh_cookie` set; the new one goes back the way the old one came.
    """
    await enforce_shared(
        request, limits(request).login_address, _address(request), "refresh attempts"
    )
    from_cookie = body is None
    presented = request.cookies.get(cookie.NAME) if body is None else body.refresh_token
    if not presented:
        raise Unauthorized("no refresh token was sent; log in", code="not_logged_in")
    try:
        result = await service.refresh(session, settings, presented)
    except Unauthorized as exc:
        if not from_cookie:
            raise
        refused = error_response(exc.status_code, exc.code, exc.message, headers=exc.headers)
        cookie.clear_refresh(refused)  # a dead token: the browser need not keep sending it
        return refused
    if isinstance(result, service.RefreshReused):
        reused = error_response(
            401,
            "refresh_token_reused",
            "this refresh token was already used; the session is ended, log in again",
        )
        if from_cookie:
            cookie.clear_refresh(reused)
        return reused
    return _in_cookie(response, result) if from_cookie else result


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: DbSession, response: Response) -> None:
    """End the session: its access and refresh tokens stop working, in every tab."""
    await service.logout(session, principal)
    cookie.clear_refresh(response)


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


def _in_cookie(response: Response, tokens: TokenResponse) -> TokenResponse:
    assert tokens.refresh_token is not None
    cookie.set_refresh(response, tokens.refresh_token, tokens.refresh_expires_at)
    return tokens.model_copy(update={"refresh_token": None})


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"

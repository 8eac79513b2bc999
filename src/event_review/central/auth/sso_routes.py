"""Routes of the single sign-on flow: start at the provider, come back with a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

import jwt
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from event_review.central.auth import cookie, sso
from event_review.central.auth.oidc import LoginRequest, OidcClient
from event_review.central.identity.dependencies import AppSettings
from event_review.contracts.fields import LINE
from event_review.runtime.access import public
from event_review.runtime.database import DbSession
from event_review.runtime.errors import ApiError, NotFound, Unprocessable
from event_review.settings import Settings

# Included by the auth router under /api/v1/auth/oidc.
router = APIRouter(tags=["auth"], dependencies=[Depends(public)])

COOKIE = "er_oidc_login"
COOKIE_PATH = "/api/v1/auth/oidc"
COOKIE_AUDIENCE = "event-review-oidc-login"
LOGIN_WINDOW = timedelta(minutes=10)


async def oidc_client(request: Request) -> OidcClient:  # async: no thread-pool hop
    settings: Settings = request.app.state.settings
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if not settings.oidc_enabled or client is None:
        raise NotFound("single sign-on is not configured here", code="sso_disabled")
    return client


Oidc = Annotated[OidcClient, Depends(oidc_client)]


def _safe_return(path: str) -> str:
    # Only paths on this site: an absolute or protocol-relative URL would be an open redirect.
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise Unprocessable("return_to must be a path on this site", code="invalid_return_to")
    return path


@router.get("/login", response_class=RedirectResponse, status_code=302)
async def start(
    oidc: Oidc, settings: AppSettings, return_to: Annotated[str, Query(max_length=512), LINE] = "/"
) -> RedirectResponse:
    """Send the browser to the identity provider (authorization code flow with PKCE)."""
    login = oidc.new_login()
    cookie = jwt.encode(
        {
            "state": login.state,
            "nonce": login.nonce,
            "verifier": login.code_verifier,
            "return_to": _safe_return(return_to),
            "aud": COOKIE_AUDIENCE,
            "exp": datetime.now(UTC) + LOGIN_WINDOW,
        },
        settings.effective_jwt_secret,
        algorithm="HS256",
    )
    response = RedirectResponse(await oidc.authorization_url(login), status_code=302)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(LOGIN_WINDOW.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",  # must survive the top-level redirect back from the provider
        secure=str(settings.oidc_redirect_url or "").startswith("https://"),
    )
    return response


@router.get("/callback", response_class=RedirectResponse, status_code=302)
async def callback(
    request: Request,
    oidc: Oidc,
    settings: AppSettings,
    session: DbSession,
    state: Annotated[str, Query(max_length=256), LINE] = "",
    code: Annotated[str, Query(max_length=2048), LINE] = "",
    error: Annotated[str | None, Query(max_length=256), LINE] = None,
) -> RedirectResponse:
    """Finish the sign-in: the refresh token goes into the web client's cookie, the
    access token into the URL fragment of `return_to`.

    A fragment never reaches a server or its logs, unlike a query string; the
    long-lived refresh token stays out of the URL (and the browser history) altogether.
    """
    try:
        started = jwt.decode(
            request.cookies.get(COOKIE, ""),
            settings.effective_jwt_secret,
            algorithms=["HS256"],
            audience=COOKIE_AUDIENCE,
        )
    except jwt.PyJWTError as exc:
        raise ApiError(
            "this sign-in was not started here or took too long; start again",
            code="sso_login_expired",
        ) from exc
    if error:
        raise ApiError(f"the identity provider refused: {error}", code="sso_refused")
    if not state or state != started["state"] or not code:
        raise ApiError("the sign-in answer does not match its request", code="sso_state_mismatch")
    login = LoginRequest(
        state=started["state"], nonce=started["nonce"], code_verifier=started["verifier"]
    )
    claims = await oidc.finish(code, login)
    tokens = await sso.sign_in(session, settings, claims)
    fragment = urlencode(tokens.model_dump(mode="json", exclude={"refresh_token"}))
    response = RedirectResponse(f"{started['return_to']}#{fragment}", status_code=302)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    assert tokens.refresh_token is not None
    cookie.set_refresh(response, tokens.refresh_token, tokens.refresh_expires_at)
    response.headers["Cache-Control"] = "no-store"
    return response

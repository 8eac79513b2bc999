"""OpenID Connect single sign-on: authorization-code flow with PKCE.

Authlib makes the PKCE pair and joserfc verifies the ID token against the
provider's published keys; httpx makes the two calls (discovery, token).
The state, nonce and code verifier travel in a short-lived signed cookie, so
no server-side store is needed between the redirect and the callback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from event_review.runtime.errors import BadGateway, Unauthorized
from event_review.settings import Settings

DISCOVERY = "/.well-known/openid-configuration"
_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class LoginRequest:
    """What the callback needs to finish the login it started."""

    state: str
    nonce: str
    code_verifier: str


@dataclass
class OidcClient:
    settings: Settings
    http: httpx.AsyncClient
    _metadata: dict[str, Any] | None = None
    _keys: KeySet | None = None
    _fetched_at: float = field(default=0.0)

    @property
    def issuer(self) -> str:
        assert self.settings.oidc_issuer is not None
        return self.settings.oidc_issuer.rstrip("/")

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched_at > _CACHE_SECONDS:
            self._metadata = await self._get_json(self.issuer + DISCOVERY)
            self._keys = None
            self._fetched_at = time.monotonic()
            if str(self._metadata.get("issuer", "")).rstrip("/") != self.issuer:
                raise BadGateway(
                    "the identity provider announces another issuer", code="sso_misconfigured"
                )
        return self._metadata

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BadGateway(
                f"the identity provider is unreachable ({type(exc).__name__})",
                code="sso_unavailable",
            ) from exc
        return body

    def new_login(self) -> LoginRequest:
        return LoginRequest(
            state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64)
        )

    async def authorization_url(self, login: LoginRequest) -> str:
        metadata = await self.metadata()
        query = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": self.settings.oidc_redirect_url,
            "scope": self.settings.oidc_scopes,
            "state": login.state,
            "nonce": login.nonce,
            # typeshed's stub for authlib leaves this function unannotated.
            "code_challenge": create_s256_code_challenge(login.code_verifier),  # type: ignore[no-untyped-call]
            "code_challenge_method": "S256",
        }
        return f"{metadata['authorization_endpoint']}?{urlencode(query)}"

    async def finish(self, code: str, login: LoginRequest) -> dict[str, Any]:
        """Trade the code for tokens and return the verified ID token's claims."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.oidc_redirect_url,
            "code_verifier": login.code_verifier,
            "client_id": self.settings.oidc_client_id,
        }
        # A confidential client authenticates; a public one relies on PKCE alone.
        if self.settings.oidc_client_secret is not None:
            form["client_secret"] = self.settings.oidc_client_secret.get_secret_value()
        try:
            response = await self.http.post(metadata["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise BadGateway(
                "the identity provider is unreachable", code="sso_unavailable"
            ) from exc
        if response.status_code != 200:
            raise Unauthorized(
                "the identity provider refused the sign-in; start again", code="sso_refused"
            )
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise BadGateway("the identity provider sent no ID token", code="sso_misconfigured")
        return await self.verify_id_token(id_token, login.nonce)

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        keys = await self._key_set()
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "EdDSA", "PS256"])
        except (JoseError, ValueError):
            # The provider may have rotated its keys since we cached them.
            self._keys = None
            try:
                token = jwt.decode(
                    id_token, await self._key_set(), algorithms=["RS256", "ES256", "EdDSA", "PS256"]
                )
            except (JoseError, ValueError) as exc:
                raise Unauthorized("the ID token is not valid", code="sso_invalid_token") from exc
        registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": str(self.settings.oidc_client_id)},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise Unauthorized(
                f"the ID token is not valid: {exc.description or exc.error}",
                code="sso_invalid_token",
            ) from exc
        return dict(token.claims)

    async def _key_set(self) -> KeySet:
        if self._keys is None:
            metadata = await self.metadata()
            self._keys = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

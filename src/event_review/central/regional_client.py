"""Signed HTTP calls from the centre to the regional APIs.

The base URL always comes from the regions table, never from a request, so no
caller can point the centre at an address of its choosing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from event_review.contracts.regional import (
    IDEMPOTENCY_HEADER,
    RecordedReview,
    RecordedRevision,
    ReviewOutcome,
    ReviewRevision,
    RevisionHistory,
    payload_url,
    review_url,
    revision_url,
)
from event_review.contracts.signing import sign_call
from event_review.runtime.errors import BadGateway, GatewayTimeout
from event_review.runtime.observability import REQUEST_ID_HEADER, current_request_id


def _request_id() -> dict[str, str]:
    """Carry the caller's request id into the region, so logs line up across the boundary."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


# A pooled connection the region closed between two calls fails the next one
# before anything was answered. Both calls are safe to repeat (a GET, and a POST
# carrying an Idempotency-Key), so they are, once, on a fresh connection.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class RegionalCallError(Exception):
    """A regional API did not accept a call; `retryable` says whether to try again."""

    def __init__(self, message: str, *, retryable: bool, route_missing: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        # The region does not serve the route at all: it runs an older contract.
        self.route_missing = route_missing


class RegionalClient:
    def __init__(self, http: httpx.AsyncClient, signing_key: Ed25519PrivateKey) -> None:
        self.http = http
        self.signing_key = signing_key

    def _request(
        self,
        method: str,
        url: str,
        region_code: str,
        external_event_id: str,
        *,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Request:
        token = sign_call(
            self.signing_key,
            region_code=region_code,
            method=method,
            external_event_id=external_event_id,
        )
        return self.http.build_request(
            method,
            url,
            json=json_body,
            headers={"Authorization": f"Bearer {token}", **_request_id(), **(headers or {})},
        )

    async def open_payload(
        self, api_url: str, region_code: str, external_event_id: str
    ) -> httpx.Response:
        """Start fetching a payload; the caller streams the body and closes the response."""
        return await self._get(
            payload_url(api_url, external_event_id), region_code, external_event_id,
            stream=True, missing="payload",
        )  # fmt: skip

    async def revision_history(
        self, api_url: str, region_code: str, external_event_id: str
    ) -> RevisionHistory:
        """v2: the revisions the region keeps, with what reviewers typed."""
        response = await self._get(
            revision_url(api_url, external_event_id), region_code, external_event_id,
            stream=False, missing="review history",
        )  # fmt: skip
        try:
            return RevisionHistory.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway(
                f"region {region_code} answered with a review history the centre cannot "
                f"read ({exc.error_count()} problems)",
                code="region_error",
            ) from exc

    async def _get(
        self, url: str, region_code: str, external_event_id: str, *, stream: bool, missing: str
    ) -> httpx.Response:
        """A signed GET, its failures as the 502/504 a user is shown."""
        try:
            try:
                request = self._request("GET", url, region_code, external_event_id)
                response = await self.http.send(request, stream=stream)
            except _DROPPED:
                # A signed call is usable once: the repeat carries a new signature.
                request = self._request("GET", url, region_code, external_event_id)
                response = await self.http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise GatewayTimeout(
                f"region {region_code} did not answer in time; try again shortly",
                code="region_timeout",
            ) from exc
        except httpx.HTTPError as exc:
            raise BadGateway(
                f"region {region_code} is unreachable ({type(exc).__name__}); try again later",
                code="region_unreachable",
            ) from exc
        if response.status_code == 200:
            return response
        await response.aclose()
        if response.status_code == 404:
            if stream or _error_code(response) == "event_not_found":
                raise BadGateway(
                    f"region {region_code} has no {missing} for this event (it may have "
                    "been purged there)",
                    code="region_event_missing",
                )
            raise BadGateway(
                f"region {region_code} does not serve the {missing} yet; upgrade the region",
                code="region_outdated",
            )
        if response.status_code in (401, 403):
            raise BadGateway(
                f"region {region_code} refused the centre's signature; check the signing "
                "keys configured on both sides",
                code="region_refused",
            )
        raise BadGateway(
            f"region {region_code} answered HTTP {response.status_code}", code="region_error"
        )

    async def record_review(
        self,
        api_url: str,
        region_code: str,
        external_event_id: str,
        idempotency_key: str,
        outcome: ReviewOutcome,
    ) -> RecordedReview:
        """v1: one outcome per event, for a region that does not serve v2 yet."""
        response = await self._post(
            review_url(api_url, external_event_id),
            region_code,
            external_event_id,
            idempotency_key,
            outcome.model_dump(mode="json"),
        )
        return RecordedReview.model_validate_json(response.content)

    async def record_revision(
        self,
        api_url: str,
        region_code: str,
        external_event_id: str,
        idempotency_key: str,
        revision: ReviewRevision,
    ) -> RecordedRevision:
        """v2: one revision of an event's review."""
        response = await self._post(
            revision_url(api_url, external_event_id),
            region_code,
            external_event_id,
            idempotency_key,
            revision.model_dump(mode="json"),
        )
        return RecordedRevision.model_validate_json(response.content)

    async def _post(
        self,
        url: str,
        region_code: str,
        external_event_id: str,
        idempotency_key: str,
        body: dict[str, Any],
    ) -> httpx.Response:
        def request() -> httpx.Request:
            return self._request(
                "POST",
                url,
                region_code,
                external_event_id,
                json_body=body,
                headers={IDEMPOTENCY_HEADER: idempotency_key},
            )

        try:
            try:
                response = await self.http.send(request())
            except _DROPPED:
                response = await self.http.send(request())
        except httpx.HTTPError as exc:
            raise RegionalCallError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if response.status_code == 200:
            return response
        # 4xx other than 408/429 will not heal by retrying the same call, but a
        # region restored from backup may lack the event for a while: retry
        # those too, up to the attempt limit, and let an admin look at the rest.
        retryable = response.status_code >= 500 or response.status_code in (404, 408, 429)
        raise RegionalCallError(
            f"HTTP {response.status_code}: {response.text[:300]}",
            retryable=retryable,
            route_missing=response.status_code == 404
            and _error_code(response) != "event_not_found",
        )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


async def stream_body(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """Pass the regional body through chunk by chunk, never holding it whole."""
    seen = 0
    try:
        async for chunk in response.aiter_raw():
            seen += len(chunk)
            if seen > limit:
                # Headers are gone already; cutting the stream is all that is left.
                raise BadGateway("payload larger than allowed", code="payload_too_large")
            yield chunk
    finally:
        await response.aclose()

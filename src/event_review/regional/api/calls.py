"""Only the centre, signing for this region, this method and this event, gets in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.contracts.signing import RegionalCall, SignatureError, verify_call
from event_review.regional.store.models import UsedCallToken
from event_review.runtime.access import access_rule
from event_review.runtime.database import Database
from event_review.runtime.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="A call token signed by the central platform")


class RegionalContext:
    """What a regional API process knows about itself."""

    def __init__(self, region_code: str, public_keys: dict[str, Ed25519PublicKey]) -> None:
        self.region_code = region_code
        self.public_keys = public_keys


async def regional_context(request: Request) -> RegionalContext:  # async: no thread-pool hop
    context: RegionalContext = request.app.state.regional
    return context


async def _remember(session: AsyncSession, token_id: str, expires_at: datetime) -> bool:
    """Record a call token as used; False if it was used before."""
    inserted = await session.scalar(
        insert(UsedCallToken)
        .values(token_id=token_id, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(UsedCallToken.token_id)
    )
    # Tokens live a minute; trimming on the way keeps the table small.
    await session.execute(delete(UsedCallToken).where(UsedCallToken.expires_at < func.now()))
    return inserted is not None


@access_rule("central-signature")
async def verified_call(
    request: Request,
    context: Annotated[RegionalContext, Depends(regional_context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> RegionalCall:
    if credentials is None:
        raise Unauthorized("missing call signature", code="missing_signature")
    try:
        call = verify_call(
            credentials.credentials,
            context.public_keys,
            region_code=context.region_code,
            method=request.method,
            external_event_id=str(request.path_params.get("external_event_id", "")),
        )
    except SignatureError as exc:
        if exc.status_code == 403:
            raise Forbidden(str(exc), code=exc.code) from exc
        raise Unauthorized(str(exc), code=exc.code) from exc
    # Its own committed transaction: a call that fails later (404, 409) must not
    # roll the record back and leave the token usable again.
    database: Database = request.app.state.database
    async with database.sessionmaker() as own, own.begin():
        first_use = await _remember(own, call.token_id, call.expires_at)
    if not first_use:
        raise Unauthorized("this signed call was already used", code="replayed_signature")
    return call


VerifiedCall = Annotated[RegionalCall, Depends(verified_call)]

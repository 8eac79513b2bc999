from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import ReviewForm
from event_review.central.forms.definition import FormDefinition


@dataclass(frozen=True)
class StoredForm:
    key: str
    version: int
    digest: str
    definition: FormDefinition
    created_at: datetime
    created_by: str

    @property
    def ref(self) -> str:
        """`crash@3`: how a batch and an event name the form version that applies."""
        return f"{self.key}@{self.version}"


def canonical(definition: FormDefinition) -> tuple[dict[str, Any], str]:
    """The definition as stored, and the digest that tells a change from a re-apply."""
    document = definition.model_dump(mode="json")
    digest = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return document, digest


# Versions never change, so each is parsed once per process. The digest is part
# of the key: two databases (tests, a restored backup) may number differently.
_PARSED: dict[tuple[str, int, str], StoredForm] = {}


def _stored(row: ReviewForm) -> StoredForm:
    key = (row.form_key, row.version, row.digest)
    if key not in _PARSED:
        _PARSED[key] = StoredForm(
            key=row.form_key,
            version=row.version,
            digest=row.digest,
            definition=FormDefinition.model_validate(row.definition),
            created_at=row.created_at,
            created_by=row.created_by,
        )
    return _PARSED[key]


# The current version of every form, without its definition: a version is
# parsed once per process (_PARSED), so only one not seen yet is read whole.
LATEST_FORMS = (
    select(ReviewForm.form_key, ReviewForm.version, ReviewForm.digest)
    .ext(distinct_on(ReviewForm.form_key))
    .order_by(ReviewForm.form_key, ReviewForm.version.desc())
)

FormRef = tuple[str, int, str]  # (key, version, digest)


async def stored(session: AsyncSession, refs: Iterable[FormRef]) -> list[StoredForm]:
    """The versions `refs` name, parsed once per process."""
    found = []
    for key, version, digest in refs:
        form = _PARSED.get((key, version, digest))
        if form is None:
            row = await session.get(ReviewForm, (key, version))
            if row is None:
                continue
            form = _stored(row)
        found.append(form)
    return found


async def latest_forms(session: AsyncSession) -> list[StoredForm]:
    """The current version of every form, by key."""
    refs = [(r.form_key, r.version, r.digest) for r in await session.execute(LATEST_FORMS)]
    return await stored(session, refs)


async def get_version(session: AsyncSession, key: str, version: int) -> StoredForm | None:
    row = await session.get(ReviewForm, (key, version))
    return None if row is None else _stored(row)


async def versions(session: AsyncSession, key: str) -> list[StoredForm]:
    rows = await session.scalars(
        select(ReviewForm).where(ReviewForm.form_key == key).order_by(ReviewForm.version.desc())
    )
    return [_stored(row) for row in rows]


async def lock_forms(session: AsyncSession) -> None:
    """One apply at a time: versions are numbered, and forms are checked against each other."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('event_review.forms'))"))


async def add_version(
    session: AsyncSession, definition: FormDefinition, digest: str, created_by: str
) -> StoredForm:
    document, _ = canonical(definition)
    latest = await session.scalar(
        select(func.max(ReviewForm.version)).where(ReviewForm.form_key == definition.key)
    )
    row = ReviewForm(
        form_key=definition.key,
        version=(latest or 0) + 1,
        definition=document,
        digest=digest,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    return _stored(row)


async def digest_of_latest(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(
        select(ReviewForm.digest)
        .where(ReviewForm.form_key == key)
        .order_by(ReviewForm.version.desc())
        .limit(1)
    )

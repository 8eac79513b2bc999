"""Review forms: which one applies to an event, and applying a file of them."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.audit import repository as audit
from event_review.central.db.models import AuditAction
from event_review.central.forms import repository
from event_review.central.forms.answers import model_for
from event_review.central.forms.definition import FormDefinition, FormFile
from event_review.central.forms.repository import StoredForm
from event_review.central.forms.schemas import Applied
from event_review.central.identity.actor import Actor
from event_review.runtime.errors import NotFound, Unprocessable

_MODELS: dict[str, type[BaseModel]] = {}


def answers_model(form: StoredForm) -> type[BaseModel]:
    """The answers model of a form version, built once (versions never change)."""
    key = form.digest
    if key not in _MODELS:
        _MODELS[key] = model_for(form.definition)
    return _MODELS[key]


def specificity(definition: FormDefinition, event_type: str, region_code: str) -> int | None:
    """How closely a form fits an event: 2 for its type in its region, 1 for its type
    anywhere, 0 for the default, None if it does not apply."""
    applies = definition.applies_to
    if applies is None:
        return 0
    if event_type not in applies.event_types:
        return None
    if applies.regions is None:
        return 1
    return 2 if region_code in applies.regions else None


def resolve(forms: Iterable[StoredForm], event_type: str, region_code: str) -> StoredForm:
    """The most specific current form for an event; the default when none is closer.

    Applying refuses two forms of one specificity for the same events, so
    the best fit is unique.
    """
    best: tuple[int, StoredForm] | None = None
    for form in forms:
        fit = specificity(form.definition, event_type, region_code)
        if fit is not None and (best is None or fit > best[0]):
            best = (fit, form)
    if best is None:
        raise RuntimeError("no default review form: the central schema is not migrated")
    return best[1]


async def form_for(session: AsyncSession, event_type: str, region_code: str) -> StoredForm:
    return resolve(await repository.latest_forms(session), event_type, region_code)


async def get_form(session: AsyncSession, key: str, version: int | None = None) -> StoredForm:
    if version is None:
        found = await repository.versions(session, key)
        form = found[0] if found else None
    else:
        form = await repository.get_version(session, key, version)
    if form is None:
        which = f"form {key!r}" + (f" version {version}" if version is not None else "")
        raise NotFound(f"no {which}", code="form_not_found")
    return form


async def apply(session: AsyncSession, document: FormFile, *, actor: Actor) -> list[Applied]:
    """Make each form of the file current: a new version where it changed.

    Checked against the forms already in place too, so no two forms ever
    claim the same events at the same specificity.
    """
    await repository.lock_forms(session)
    current = {form.key: form.definition for form in await repository.latest_forms(session)}
    try:
        FormFile(forms=tuple({**current, **{f.key: f for f in document.forms}}.values()))
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise Unprocessable(
            f"{message} (counting the forms already in place)", code="form_conflict"
        ) from exc
    applied = []
    for form in document.forms:
        _, digest = repository.canonical(form)
        if digest == await repository.digest_of_latest(session, form.key):
            version = (await get_form(session, form.key)).version
            applied.append(Applied(key=form.key, version=version, changed=False))
            continue
        stored = await repository.add_version(session, form, digest, actor.name)
        await audit.record(
            session,
            actor=actor,
            action=AuditAction.FORM_APPLIED,
            details={"form": stored.key, "version": stored.version},
        )
        applied.append(Applied(key=stored.key, version=stored.version, changed=True))
    return applied

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from event_review.central.forms import repository, service
from event_review.central.forms.definition import FormDefinition, FormFile
from event_review.central.forms.schemas import (
    AppliedForms,
    FormOut,
    FormPreview,
    FormSummary,
    rendered,
)
from event_review.central.identity.dependencies import Admin, CurrentPrincipal
from event_review.contracts.errors import documented
from event_review.runtime.database import DbSession

router = APIRouter(prefix="/api/v1", tags=["forms"])

FormKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NOT_FOUND = documented(e404="No such form or version")


@router.get("/forms", response_model=list[FormSummary])
async def list_forms(principal: CurrentPrincipal, session: DbSession) -> list[FormSummary]:
    """The current version of every review form, and which events it applies to."""
    del principal
    return [FormSummary.of(f) for f in await repository.latest_forms(session)]


@router.get("/forms/{key}", response_model=FormOut, responses=_NOT_FOUND)
async def get_form(key: FormKey, principal: CurrentPrincipal, session: DbSession) -> FormOut:
    del principal
    return FormOut.of(await service.get_form(session, key))


@router.get("/forms/{key}/versions", response_model=list[FormSummary], responses=_NOT_FOUND)
async def list_versions(
    key: FormKey, principal: CurrentPrincipal, session: DbSession
) -> list[FormSummary]:
    del principal
    await service.get_form(session, key)
    return [FormSummary.of(f) for f in await repository.versions(session, key)]


@router.get("/forms/{key}/versions/{version}", response_model=FormOut, responses=_NOT_FOUND)
async def get_version(
    key: FormKey, version: Version, principal: CurrentPrincipal, session: DbSession
) -> FormOut:
    """One version of a form: a review names the version it was made with."""
    del principal
    return FormOut.of(await service.get_form(session, key, version))


@router.post(
    "/admin/forms",
    response_model=AppliedForms,
    responses=documented(
        e403="Admins only",
        e422="Not a valid form file, or two forms would apply to the same events (`form_conflict`)",
    ),
)
async def apply_forms(body: FormFile, admin: Admin, session: DbSession) -> AppliedForms:
    """Make each form of the file current; a changed form gets a new version, an
    unchanged one keeps its own. Forms not in the file stay as they are."""
    return AppliedForms(forms=await service.apply(session, body, actor=admin.as_actor()))


@router.post(
    "/admin/forms/preview", response_model=FormPreview, responses=documented(e403="Admins only")
)
async def preview_form(body: FormDefinition, admin: Admin) -> FormPreview:
    """Check one form and render its Markdown, storing nothing (the editor's live preview)."""
    del admin
    return FormPreview(definition=body, html=rendered(body))

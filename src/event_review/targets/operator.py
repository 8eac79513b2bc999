"""What an operator runs by hand: each a transaction on one database, audited as the operator.

The command line's administration commands (regions, teams, users, keys,
`regional show`) call these; the domains' services do the work, with the
same rules as the admin API.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import RetentionPolicy, ReviewTextPolicy, Role
from event_review.central.forms import repository as forms_repository
from event_review.central.forms import service as forms
from event_review.central.forms.definition import FormFile
from event_review.central.forms.schemas import Applied, FormOut, FormSummary
from event_review.central.identity.actor import Actor
from event_review.central.queue_rules import service as queue_rules
from event_review.central.queue_rules.definition import QueueRules
from event_review.central.queue_rules.schemas import AppliedRules, RulesOut
from event_review.central.regions import service as regions
from event_review.central.regions.schemas import RegionCreated, RegionOut
from event_review.central.teams import service as teams
from event_review.central.teams.schemas import TeamOut
from event_review.central.users import service as users
from event_review.central.users.passwords import check_new_password
from event_review.central.users.schemas import UserOut
from event_review.contracts.fields import normalise_region_code, region_code_problem
from event_review.contracts.signing import (
    generate_private_key_pem,
    load_private_key,
    public_key_pem,
)
from event_review.regional.api import repository as regional

OPERATOR = Actor.operator()

__all__ = [
    "FormFile",
    "QueueRules",
    "RetentionPolicy",
    "ReviewTextPolicy",
    "Role",
    "add_region",
    "add_team",
    "add_user",
    "apply_forms",
    "apply_queue_rules",
    "check_new_password",
    "form_file",
    "list_forms",
    "list_regions",
    "list_teams",
    "list_users",
    "new_key_pair",
    "queue_rules_file",
    "region_code",
    "regional_review",
    "revoke_old_keys",
    "rotate_key",
    "set_retention",
    "set_review_text",
    "show_form",
    "show_queue_rules",
]


def region_code(code: str) -> str:
    """A region code as the platform stores it; ValueError naming the rule otherwise."""
    normalised = normalise_region_code(code)
    problem = region_code_problem(normalised)
    if problem is not None:
        raise ValueError(problem)
    return normalised


async def add_region(session: AsyncSession, code: str, api_url: str) -> RegionCreated:
    return await regions.add_region(session, code, api_url, actor=OPERATOR)


async def list_regions(session: AsyncSession) -> list[RegionOut]:
    return await regions.list_regions(session)


async def set_retention(
    session: AsyncSession, code: str, policy: RetentionPolicy, days: int | None
) -> RegionOut:
    return await regions.set_retention(session, code, policy, days, actor=OPERATOR)


async def set_review_text(session: AsyncSession, code: str, policy: ReviewTextPolicy) -> RegionOut:
    return await regions.set_review_text(session, code, policy, actor=OPERATOR)


async def rotate_key(session: AsyncSession, code: str) -> str:
    """A new ingest key; the old ones keep working until `revoke_old_keys`."""
    return await regions.issue_ingest_key(session, code, revoke_others=False, actor=OPERATOR)


async def revoke_old_keys(session: AsyncSession, code: str) -> int:
    return await regions.revoke_old_ingest_keys(session, code, actor=OPERATOR)


async def add_team(session: AsyncSession, name: str, region_codes: list[str]) -> TeamOut:
    return await teams.add_team(session, name, region_codes, actor=OPERATOR)


async def list_teams(session: AsyncSession) -> list[TeamOut]:
    return await teams.list_teams(session)


async def add_user(
    session: AsyncSession, username: str, password: str, role: Role, team: str | None
) -> UserOut:
    return await users.add_user(session, username, password, role, team, actor=OPERATOR)


async def list_users(session: AsyncSession) -> list[UserOut]:
    return await users.list_users(session)


def _problems(exc: ValidationError) -> str:
    return "\n".join(
        f"  {'.'.join(str(p) for p in e['loc']) or '(file)'}: "
        f"{str(e['msg']).removeprefix('Value error, ')}"
        for e in exc.errors(include_url=False, include_input=False)
    )


def form_file(document: Any) -> FormFile:
    """A parsed form file checked; ValueError listing every problem by its place."""
    try:
        return FormFile.model_validate(document)
    except ValidationError as exc:
        raise ValueError(_problems(exc)) from exc


def queue_rules_file(document: Any) -> QueueRules:
    """A parsed queue rules file checked; ValueError listing every problem by its place."""
    try:
        return QueueRules.model_validate({} if document is None else document)
    except ValidationError as exc:
        raise ValueError(_problems(exc)) from exc


async def apply_queue_rules(session: AsyncSession, rules: QueueRules) -> AppliedRules:
    return await queue_rules.apply(session, rules, actor=OPERATOR)


async def show_queue_rules(session: AsyncSession) -> RulesOut:
    return await queue_rules.show(session)


async def apply_forms(session: AsyncSession, document: FormFile) -> list[Applied]:
    return await forms.apply(session, document, actor=OPERATOR)


async def list_forms(session: AsyncSession) -> list[FormSummary]:
    return [FormSummary.of(f) for f in await forms_repository.latest_forms(session)]


async def show_form(session: AsyncSession, key: str, version: int | None) -> FormOut:
    return FormOut.of(await forms.get_form(session, key, version))


def new_key_pair() -> tuple[str, str]:
    """(private PEM for the centre, public PEM for every region)."""
    private_pem = generate_private_key_pem()
    return private_pem, public_key_pem(load_private_key(private_pem))


async def regional_review(session: AsyncSession, external_event_id: str) -> dict[str, Any] | None:
    """What a region recorded of an event's review (never its payload), or None."""
    event = await regional.get_event(session, external_event_id)
    if event is None:
        return None
    return {
        "external_event_id": event.external_event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "review_decision": event.review_decision,
        "review_rating": event.review_rating,
        "review_comment": event.review_comment,
        "reviewed_by": event.reviewed_by,
        "reviewed_at": event.reviewed_at.isoformat() if event.reviewed_at else None,
        "review_recorded_at": (
            event.review_recorded_at.isoformat() if event.review_recorded_at else None
        ),
    }

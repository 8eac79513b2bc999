"""A review's answers, checked against the form version it was made with.

Each form version becomes a pydantic model once, so a wrong answer gets the
same 422 as any other bad field: the place (`body.fields.vehicles`), what was
expected, and nothing of what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    create_model,
)

from event_review.central.forms.definition import FieldKind, FormDefinition, FormField, Requirement
from event_review.contracts.fields import TEXT

FieldValue = bool | int | float | str


@dataclass(frozen=True)
class Answers:
    """What a reviewer answered, in the form's terms."""

    decision: str
    rating: int | None
    comment: str | None
    reasons: dict[str, list[str]] = field(default_factory=dict)
    fields: dict[str, FieldValue] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Reasons and further fields: what the events and revisions keep as JSON."""
        return {"reasons": self.reasons, "fields": self.fields}


class AnswersInvalid(Exception):
    """Validation details in the shape of FastAPI's, with locations under `body`."""

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__("the answers do not fit the form")
        self.details = details


_CONFIG = ConfigDict(extra="forbid", hide_input_in_errors=True)


def _field_type(spec: FormField) -> Any:
    if spec.kind is FieldKind.BOOLEAN:
        return StrictBool
    if spec.kind is FieldKind.CHOICE:
        return Literal[tuple(o.key for o in spec.options)]
    if spec.kind is FieldKind.NUMBER:
        number = StrictInt if spec.integer else StrictInt | StrictFloat
        return Annotated[number, Field(ge=spec.min, le=spec.max)]
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=spec.max_length),
        TEXT,
    ]


def model_for(form: FormDefinition) -> type[BaseModel]:
    """The pydantic model of one form version's answers."""
    reasons: dict[str, Any] = {
        r.key: (
            Annotated[
                list[Literal[tuple(o.key for o in r.options)]],  # type: ignore[misc]
                Field(max_length=None if r.multiple else 1),
            ],
            [],
        )
        for r in form.reasons
    }
    fields: dict[str, Any] = {
        f.key: (_field_type(f), ...) if f.required else (_field_type(f) | None, None)
        for f in form.fields
    }
    if form.rating is None:
        rating: Any = (None, None)
    else:
        bounded = Annotated[StrictInt, Field(ge=form.rating.min, le=form.rating.max)]
        rating = (bounded, ...) if form.rating.required else (bounded | None, None)
    comment: Any = (
        (
            Annotated[
                str,
                StringConstraints(strip_whitespace=True, max_length=form.comment.max_length),
                TEXT,
            ]
            | None,
            None,
        )
        if form.comment.enabled
        else (None, None)
    )
    reasons_model = create_model(f"Reasons_{form.key}", __config__=_CONFIG, **reasons)
    fields_model = create_model(f"Fields_{form.key}", __config__=_CONFIG, **fields)
    decision: Any = (Literal[tuple(d.key for d in form.decisions)], ...)
    return create_model(
        f"Answers_{form.key}",
        __config__=_CONFIG,
        decision=decision,
        rating=rating,
        comment=comment,
        reasons=(reasons_model, Field(default_factory=reasons_model)),
        fields=(fields_model, Field(default_factory=fields_model)),
    )


def check(form: FormDefinition, model: type[BaseModel], given: Mapping[str, Any]) -> Answers:
    """The answers, or AnswersInvalid naming every place that does not fit the form."""
    try:
        parsed = model.model_validate(dict(given))
    except ValidationError as exc:
        raise AnswersInvalid(
            [
                {"loc": ["body", *err["loc"]], "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_input=False)
            ]
        ) from exc
    values = parsed.model_dump()
    answers = Answers(
        decision=values["decision"],
        rating=values["rating"],
        comment=values["comment"] or None,
        reasons={k: v for k, v in values["reasons"].items() if v},
        fields={k: v for k, v in values["fields"].items() if v is not None},
    )
    _requirements(form, answers)
    return answers


def _requirements(form: FormDefinition, answers: Answers) -> None:
    """What the chosen decision asks for on top: a comment, answered reason lists."""
    decision = next(d for d in form.decisions if d.key == answers.decision)
    missing = []
    if decision.comment is Requirement.REQUIRED and not answers.comment:
        missing.append(
            {"loc": ["body", "comment"], "msg": f"a comment is required to {decision.label!r}",
             "type": "missing"}
        )  # fmt: skip
    for key in decision.reasons:
        if not answers.reasons.get(key):
            label = next(r.label for r in form.reasons if r.key == key)
            missing.append(
                {"loc": ["body", "reasons", key],
                 "msg": f"choose a reason ({label!r}) to {decision.label!r}", "type": "missing"}
            )  # fmt: skip
    if missing:
        raise AnswersInvalid(missing)

"""What a review form is: the schema of a form file, checked before a version is kept.

A form says which decisions a reviewer can take (each with its hotkey), an
optional rating scale, lists of reason codes, a few further fields of bounded
kinds, and Markdown guidelines. Which events it applies to is part of it.
The built-in default reproduces the original fixed form exactly, so reviews
made before forms existed, API clients and the regions' contract keep working.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from event_review.contracts.fields import LINE, TEXT, AnswerKey, FormKey, RegionCode

DEFAULT_KEY = "default"
MAX_GUIDELINES = 20_000
# Keys the review screen keeps for itself: next/previous, comment, skip, next
# batch, extend, escalate, image zoom, help. Digits are the rating's when a form
# has one.
RESERVED_HOTKEYS = frozenset("jkcsnxez?")

Key = AnswerKey
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), LINE]
Markdown = Annotated[str, StringConstraints(max_length=MAX_GUIDELINES), TEXT]
Hotkey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]$")]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(StrEnum):
    OPTIONAL = "optional"
    REQUIRED = "required"


class Decision(_Strict):
    key: Key
    label: Label
    hotkey: Hotkey
    description: Markdown | None = None
    comment: Requirement = Requirement.OPTIONAL
    # Reason lists that must be answered when this decision is taken.
    reasons: tuple[Key, ...] = ()


class RatingLabel(_Strict):
    value: StrictInt = Field(ge=0, le=100)
    label: Label


class Rating(_Strict):
    min: StrictInt = Field(ge=0, le=100)
    max: StrictInt = Field(ge=1, le=100)
    required: StrictBool = True
    labels: tuple[RatingLabel, ...] = Field(default=(), max_length=10)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.max <= self.min:
            raise ValueError("rating max must be above min")
        if self.max - self.min > 9:
            raise ValueError("a rating scale has at most 10 values (one digit key each)")
        if any(not self.min <= label.value <= self.max for label in self.labels):
            raise ValueError("rating labels must be for values between min and max")
        _unique([str(label.value) for label in self.labels], "rating label for")
        return self


class ReasonOption(_Strict):
    key: Key
    label: Label
    hotkey: Hotkey | None = None
    description: Markdown | None = None


class ReasonList(_Strict):
    key: Key
    label: Label
    multiple: StrictBool = False
    options: tuple[ReasonOption, ...] = Field(min_length=1, max_length=50)


class FieldKind(StrEnum):
    BOOLEAN = "boolean"
    CHOICE = "choice"
    NUMBER = "number"
    TEXT = "text"


class ChoiceOption(_Strict):
    key: Key
    label: Label


class FormField(_Strict):
    """A further answer of a bounded kind."""

    key: Key
    label: Label
    kind: FieldKind
    required: StrictBool = False
    description: Markdown | None = None
    options: tuple[ChoiceOption, ...] = ()  # choice
    min: StrictInt | StrictFloat | None = None  # number
    max: StrictInt | StrictFloat | None = None  # number
    integer: StrictBool = False  # number
    max_length: StrictInt = Field(default=200, ge=1, le=1_000)  # text

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        if (self.kind is FieldKind.CHOICE) != bool(self.options):
            raise ValueError("options are for choice fields, and a choice field needs them")
        if self.kind is not FieldKind.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError("min and max are for number fields")
        if self.kind is FieldKind.NUMBER and (self.min is None or self.max is None):
            raise ValueError("a number field needs min and max")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        _unique([o.key for o in self.options], "option key")
        return self


class Comment(_Strict):
    enabled: StrictBool = True
    max_length: StrictInt = Field(default=4_000, ge=1, le=4_000)


class QaRule(_Strict):
    """Every review matching this goes to QA, sampled or not."""

    decision: Key | None = None
    event_types: tuple[EventType, ...] = ()


class Qa(_Strict):
    sample_rate: StrictFloat | StrictInt = Field(default=0, ge=0, le=1)
    always: tuple[QaRule, ...] = ()


class AppliesTo(_Strict):
    event_types: tuple[EventType, ...] = Field(min_length=1)
    # Left out: every region.
    regions: tuple[RegionCode, ...] | None = Field(default=None, min_length=1)


# Shown in the API documents, and the valid request the generated input tests start from:
# every kind of field and option appears once.
EXAMPLE_FORM: dict[str, JsonValue] = {
    "key": "collision",
    "title": "Collision review",
    "applies_to": {"event_types": ["collision"], "regions": ["eu"]},
    "guidelines": "Watch the **whole clip** before deciding.",
    "decisions": [
        {"key": "confirmed", "label": "Confirmed collision", "hotkey": "a",
         "description": "Visible contact.", "comment": "optional", "reasons": []},
        {"key": "false_trigger", "label": "False trigger", "hotkey": "r",
         "description": "No contact.", "comment": "required", "reasons": ["cause"]},
    ],
    "rating": {"min": 1, "max": 5, "required": False,
               "labels": [{"value": 1, "label": "Unusable"}]},
    "reasons": [
        {"key": "cause", "label": "Cause", "multiple": True,
         "options": [{"key": "pothole", "label": "Pothole", "hotkey": "p",
                      "description": "Or a speed bump."}]},
    ],
    "fields": [
        {"key": "injuries", "label": "Injuries visible", "kind": "boolean", "required": True,
         "description": "Anyone hurt?"},
        {"key": "severity", "label": "Severity", "kind": "choice",
         "options": [{"key": "minor", "label": "Minor"}]},
        {"key": "vehicles", "label": "Vehicles", "kind": "number", "min": 1, "max": 20,
         "integer": True},
        {"key": "note", "label": "Note", "kind": "text", "max_length": 200},
    ],
    "comment": {"enabled": True, "max_length": 4000},
    "qa": {"sample_rate": 0.2, "always": [{"decision": "false_trigger",
                                           "event_types": ["collision"]}]},
}  # fmt: skip


class FormDefinition(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_FORM]})

    key: FormKey
    title: Label
    applies_to: AppliesTo | None = None
    guidelines: Markdown | None = None
    decisions: tuple[Decision, ...] = Field(min_length=1, max_length=9)
    rating: Rating | None = None
    reasons: tuple[ReasonList, ...] = Field(default=(), max_length=10)
    fields: tuple[FormField, ...] = Field(default=(), max_length=20)
    comment: Comment = Comment()
    qa: Qa = Qa()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.applies_to is None) != (self.key == DEFAULT_KEY):
            raise ValueError(
                f"every form but {DEFAULT_KEY!r} says which event types it applies_to, "
                f"and {DEFAULT_KEY!r} applies to whatever no other form does"
            )
        _unique([d.key for d in self.decisions], "decision key")
        _unique([r.key for r in self.reasons], "reason list key")
        _unique([f.key for f in self.fields], "field key")
        for reasons in self.reasons:
            _unique([o.key for o in reasons.options], f"option key in {reasons.key!r}")
        lists = {r.key for r in self.reasons}
        for decision in self.decisions:
            unknown = sorted(set(decision.reasons) - lists)
            if unknown:
                raise ValueError(f"decision {decision.key!r} requires unknown reasons {unknown}")
            if decision.comment is Requirement.REQUIRED and not self.comment.enabled:
                raise ValueError(
                    f"decision {decision.key!r} requires a comment, but comments are off"
                )
        hotkeys = [d.hotkey for d in self.decisions] + [
            o.hotkey for r in self.reasons for o in r.options if o.hotkey
        ]
        _unique(hotkeys, "hotkey")
        taken = set(hotkeys) & (RESERVED_HOTKEYS | (_DIGITS if self.rating else frozenset()))
        if taken:
            raise ValueError(f"hotkeys {sorted(taken)} belong to the review screen")
        decisions = {d.key for d in self.decisions}
        for rule in self.qa.always:
            if rule.decision is not None and rule.decision not in decisions:
                raise ValueError(f"a QA rule names the unknown decision {rule.decision!r}")
        return self


class FormFile(_Strict):
    """What `event-review forms apply FILE` reads: `forms: [...]`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"forms": [EXAMPLE_FORM]}]})

    forms: tuple[FormDefinition, ...] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _no_two_claim_the_same_events(self) -> Self:
        _unique([f.key for f in self.forms], "form key")
        claimed: dict[tuple[str, str | None], str] = {}
        for form in self.forms:
            if form.applies_to is None:
                continue
            for scope in scopes(form.applies_to):
                other = claimed.setdefault(scope, form.key)
                if other != form.key:
                    where = f" in {scope[1]}" if scope[1] else ""
                    raise ValueError(
                        f"forms {other!r} and {form.key!r} both apply to {scope[0]!r}{where}"
                    )
        return self


_DIGITS = frozenset("0123456789")


def scopes(applies_to: AppliesTo) -> list[tuple[str, str | None]]:
    """(event type, region or None for every region) pairs a form claims."""
    regions: tuple[str | None, ...] = applies_to.regions or (None,)
    return [(t, r) for t in applies_to.event_types for r in regions]


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)


DEFAULT_FORM = FormDefinition(
    key=DEFAULT_KEY,
    title="Review",
    decisions=(
        Decision(key="approve", label="Approve", hotkey="a"),
        Decision(key="reject", label="Reject", hotkey="r"),
    ),
    rating=Rating(min=1, max=5, required=True),
    comment=Comment(enabled=True, max_length=4_000),
)
"""The original fixed form: approve or reject, a 1-5 rating, an optional comment."""

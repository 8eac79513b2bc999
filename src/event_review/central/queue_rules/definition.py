"""What a queue rules file is: priorities at ingest, ageing, and service levels.

One file, kept in version control and applied by `event-review queue-rules apply`,
says three things about the review queue:

- `priorities`: the priority an arriving event gets, by the first rule whose
  `when` matches its metadata or summary fields (the forwarder's own priority
  when none does);
- `ageing`: how much waiting is worth one priority point, so old events rise;
- `slas`: what each part of the queue is held to (the oldest pending event's
  age, the time to a first review), watched by the `sla` loop.

Ageing is one rate for the whole queue, not one per rule: with one rate, the
order of two waiting events never changes as time passes, so it is kept as a
column (`events.rank_at`) that the claim reads from its index in order. Two
rates would make the order depend on the clock, and the claim would have to
sort every pending row.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from event_review.contracts.fields import LINE, RegionCode

# A point outweighs any wait when nothing ages: strict priority, then arrival.
STRICT_POINT = timedelta(days=3650)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> Any:
    """`90s`, `30m`, `4h`, `2d`; anything else is left for pydantic to refuse."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found is None:
            raise ValueError(f"{value!r} is not a duration such as 90s, 30m, 4h or 2d")
        return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    return value


def format_duration(value: timedelta) -> str:
    """The shortest exact form `parse_duration` reads back."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d+\s*[smhd]\s*$", "examples": ["30m"]}),
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64), LINE]
Scalar = (
    Annotated[str, StringConstraints(max_length=200), LINE] | StrictInt | StrictFloat | StrictBool
)
_SUMMARY_KEY = re.compile(r"summary\.[A-Za-z0-9_-]{1,64}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A numeric summary field between two bounds, each included."""

    at_least: StrictInt | StrictFloat | None = None
    at_most: StrictInt | StrictFloat | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.at_least is None and self.at_most is None:
            raise ValueError("a range needs at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_most < self.at_least:
            raise ValueError("at_most is below at_least")
        return self

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int | float | bool) else value


Values = Annotated[list[Scalar], BeforeValidator(_as_list), Field(min_length=1, max_length=100)]


class Scope(_Strict):
    """Which events: regions and event types (each: any, when left out)."""

    region: Annotated[list[RegionCode], BeforeValidator(_as_list), Field(max_length=50)] = []
    event_type: Annotated[list[EventType], BeforeValidator(_as_list), Field(max_length=100)] = []

    def covers(self, region: str, event_type: str) -> bool:
        return (not self.region or region in self.region) and (
            not self.event_type or event_type in self.event_type
        )


class Match(Scope):
    """A scope, plus device ids and summary fields: `summary.severity: [high]` or
    `summary.speed_kmh: {at_least: 120}`. Every condition given must hold."""

    model_config = ConfigDict(extra="allow", frozen=True)
    # The summary conditions, by their `summary.<field>` key.
    __pydantic_extra__: dict[str, Range | Values]

    device_id: Annotated[list[EventType], BeforeValidator(_as_list), Field(max_length=1000)] = []

    @model_validator(mode="before")
    @classmethod
    def _summary_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in cls.model_fields:
                    continue
                if not isinstance(key, str) or not _SUMMARY_KEY.fullmatch(key):
                    raise ValueError(
                        f"unknown condition {key!r}: use region, event_type, device_id or "
                        "summary.<field>"
                    )
        return data

    def summary_conditions(self) -> dict[str, Range | list[Any]]:
        """Field name (without `summary.`) to the values or range it must hold."""
        extra = self.__pydantic_extra__ or {}
        return {key.removeprefix("summary."): condition for key, condition in extra.items()}


class PriorityRule(_Strict):
    name: Name
    when: Match
    priority: StrictInt = Field(ge=0, le=100)


class Ageing(_Strict):
    # One priority point per this much waiting.
    every: Duration = Field(gt=timedelta(0), le=STRICT_POINT)


class Sla(_Strict):
    name: Name
    when: Scope = Scope()
    # The oldest event not yet reviewed is younger than this.
    oldest_pending: Duration | None = Field(default=None, gt=timedelta(0))
    # 90 % of the events first reviewed over the last `window` were reviewed
    # within this of their arrival.
    first_review: Duration | None = Field(default=None, gt=timedelta(0))
    window: Duration = Field(default=timedelta(hours=1), gt=timedelta(0), le=timedelta(days=7))

    @model_validator(mode="after")
    def _measured(self) -> Self:
        if self.oldest_pending is None and self.first_review is None:
            raise ValueError(f"SLA {self.name!r} sets neither oldest_pending nor first_review")
        return self


class QueueRules(_Strict):
    ageing: Ageing | None = None
    priorities: list[PriorityRule] = Field(default=[], max_length=200)
    slas: list[Sla] = Field(default=[], max_length=100)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        for kind, names in (
            ("priority rule", [r.name for r in self.priorities]),
            ("SLA", [s.name for s in self.slas]),
        ):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{kind} names must be unique: {', '.join(repeated)}")
        return self

    @property
    def point(self) -> timedelta:
        """How much waiting one priority point is worth."""
        return STRICT_POINT if self.ageing is None else self.ageing.every

    def regions(self) -> set[str]:
        """Every region the rules name, to check against the regions table."""
        named = {code for rule in self.priorities for code in rule.when.region}
        return named | {code for sla in self.slas for code in sla.when.region}


NO_RULES = QueueRules()

"""Requests built from the OpenAPI documents, so tests cover every operation by itself.

A test that names its routes by hand misses the next route someone adds. These
helpers read a target's spec and give, for every operation, a request that
passes validation (the smallest valid value for each parameter and body
field, every optional field included) and the list of places a caller can put
a value of their own: each string, integer and boolean, in the path, the
query, the headers and anywhere in the body. A test then changes one place at
a time and says what the answer must be.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st

Schema = dict[str, Any]
SAMPLE_UUID = "00000000-0000-4000-8000-000000000001"
SAMPLE_TIME = "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Operation:
    target: str
    method: str
    path: str
    spec: Schema = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.target} {self.method} {self.path}"

    @property
    def operation(self) -> Schema:
        found: Schema = self.spec["paths"][self.path][self.method.lower()]
        return found

    @property
    def access(self) -> list[str]:
        rules: list[str] = self.operation.get("x-access", [])
        return rules

    def body_schema(self) -> Schema | None:
        content = self.operation.get("requestBody", {}).get("content", {})
        media = content.get("application/json")
        return None if media is None else resolve(self.spec, media["schema"])


def operations(target: str, spec: Schema) -> list[Operation]:
    return [
        Operation(target, method.upper(), path, spec)
        for path, item in spec["paths"].items()
        for method in item
    ]


def resolve(spec: Schema, schema: Schema) -> Schema:
    """Follow $ref, and take the one non-null branch of an optional (`X | None`)."""
    while True:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **schema["allOf"][0]}
        else:
            return schema


def _matching(pattern: str, low: int, high: int) -> str:
    """The simplest string matching a pattern (deterministic: Hypothesis shrinks to it)."""
    strategy = st.from_regex(re.compile(pattern), fullmatch=True).filter(
        lambda s: low <= len(s) <= high
    )
    found: str = find(
        strategy,
        lambda _: True,
        settings=settings(database=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    )
    return found


def example(spec: Schema, schema: Schema) -> Any:
    """The smallest valid instance of `schema`, with every optional property present,
    or the schema's own first example where it gives one (for models whose parts
    must agree with each other, which no instance built part by part would)."""
    schema = resolve(spec, schema)
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
        if schema.get("format") == "date-time":
            return SAMPLE_TIME
        if schema.get("format") == "uuid":
            return SAMPLE_UUID
        if "pattern" in schema:
            return _matching(schema["pattern"], max(low, 1), high)
        return "sample"[:high].ljust(low, "s")
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "array":
        return [example(spec, schema["items"]) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "object" or "properties" in schema:
        return {name: example(spec, sub) for name, sub in schema.get("properties", {}).items()}
    return "sample"


@dataclass(frozen=True)
class Slot:
    """One place a caller can put a value: where, and the `loc` a validation error gives it."""

    where: str  # path, query, header or body
    name: str  # the parameter's name; for the body, the dotted field path
    loc: tuple[str | int, ...]
    kind: str  # string, integer, boolean, or object (free-form: any keys, any values)

    @property
    def label(self) -> str:
        return f"{self.where}:{self.name}"


def _body_slots(
    spec: Schema, schema: Schema, loc: tuple[str | int, ...], sample: Any
) -> Iterator[Slot]:
    """The places of the body, where the valid `sample` has a value (every array's first
    item; every property an example gives)."""
    schema = resolve(spec, schema)
    kind = schema.get("type")
    name = ".".join(str(part) for part in loc[1:])
    if sample is None:
        return
    if kind in ("string", "integer", "boolean"):
        yield Slot("body", name, loc, kind)
    elif kind == "array":
        if sample:
            yield from _body_slots(spec, schema["items"], (*loc, 0), sample[0])
    elif "properties" in schema:
        for prop, sub in schema["properties"].items():
            if prop in sample:
                yield from _body_slots(spec, sub, (*loc, prop), sample[prop])
    elif kind == "object":
        yield Slot("body", name, loc, "object")


def slots(operation: Operation) -> list[Slot]:
    found: list[Slot] = []
    for parameter in operation.operation.get("parameters", []):
        schema = resolve(operation.spec, parameter["schema"])
        kind = schema.get("type", "string")
        where, name = parameter["in"], parameter["name"]
        if kind == "array":  # a repeated parameter (?region=eu&region=us): its first value
            item = resolve(operation.spec, schema["items"]).get("type", "string")
            found.append(Slot(where, name, (where, name, 0), item))
        else:
            found.append(Slot(where, name, (where, name), kind))
    body = operation.body_schema()
    if body is not None:
        found.extend(_body_slots(operation.spec, body, ("body",), example(operation.spec, body)))
    return found


@dataclass
class Request:
    """A request for an operation, one part of which a test may change."""

    operation: Operation
    path_params: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any  # None: the operation takes no body

    @classmethod
    def valid(cls, operation: Operation) -> Request:
        params: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        for parameter in operation.operation.get("parameters", []):
            if parameter["in"] in params:
                value = example(operation.spec, parameter["schema"])
                params[parameter["in"]][parameter["name"]] = value
        body_schema = operation.body_schema()
        return cls(
            operation,
            params["path"],
            params["query"],
            {k: str(v) for k, v in params["header"].items()},
            None if body_schema is None else example(operation.spec, body_schema),
        )

    def with_value(self, slot: Slot, value: Any) -> Request:
        """A copy with `value` at `slot`; for a free-form object, `value` is added as an entry."""
        changed = copy.deepcopy(self)
        if slot.where == "path":
            changed.path_params[slot.name] = value
        elif slot.where == "query":
            if len(slot.loc) == 3:  # the first value of a repeated parameter
                changed.query[slot.name] = [value, *changed.query[slot.name][1:]]
            else:
                changed.query[slot.name] = value
        elif slot.where == "header":
            changed.headers[slot.name] = value
        else:
            *parents, last = slot.loc[1:]
            node = changed.body
            for part in parents:
                node = node[part]
            if slot.kind == "object":
                node[last] = {**node[last], **value}
            else:
                node[last] = value
        return changed

    def value_at(self, slot: Slot) -> Any:
        if slot.where == "path":
            return self.path_params[slot.name]
        if slot.where == "query":
            value = self.query[slot.name]
            return value[0] if len(slot.loc) == 3 else value
        if slot.where == "header":
            return self.headers[slot.name]
        node = self.body
        for part in slot.loc[1:]:
            node = node[part]
        return node

    @property
    def url(self) -> str:
        path = self.operation.path
        for name, value in self.path_params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return path

    def send_args(self) -> dict[str, Any]:
        """Keyword arguments for httpx's `request(method, url, ...)`.

        The body is encoded here with ASCII escapes, so lone surrogates travel
        as the JSON escapes a hostile client would send.
        """
        args: dict[str, Any] = {"params": self.query, "headers": dict(self.headers)}
        if self.body is not None:
            args["content"] = json.dumps(self.body, ensure_ascii=True).encode()
            args["headers"]["content-type"] = "application/json"
        return args

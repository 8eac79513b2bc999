"""Field types for everything a caller sends, on both sides of the wire.

Every string a request carries (body fields, query and path parameters) is
one of these types, so what PostgreSQL cannot store (NUL, lone surrogates)
and what no field here has a use for (other control characters) is refused
as a 422 naming the field, before it reaches a query. A test generated from
the OpenAPI documents sends such characters into every string of every
operation, so a new field with a plain `str` fails it.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

# C0 controls, DEL, C1 controls and the surrogate range. A lone surrogate can
# arrive as a JSON escape (\ud800) and cannot be encoded to UTF-8.
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Free text may hold tabs and line breaks.
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """'U+0000 at position 3' for the first character a field may not hold, else None.

    By code point, never the value itself: it may be anything a caller typed.
    """
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_LINE).search(value)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start()}"


def _check(value: str, *, multiline: bool) -> str:
    found = forbidden_character(value, multiline=multiline)
    if found is not None:
        raise PydanticCustomError(
            "forbidden_character",
            "must not contain {found}: control characters and lone surrogates are not accepted",
            {"found": found},
        )
    return value


def check_line(value: str) -> str:
    return _check(value, multiline=False)


def check_text(value: str) -> str:
    return _check(value, multiline=True)


def check_json(value: Any) -> Any:
    """Every key and every string in a JSON document (keys as lines, strings as text)."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, dict):
        for key, item in value.items():
            check_line(key)
            check_json(item)
    elif isinstance(value, list):
        for item in value:
            check_json(item)
    return value


# Markers to put after a field's own constraints, so length and pattern
# errors keep their usual wording: Annotated[str, StringConstraints(...), LINE].
LINE = AfterValidator(check_line)
TEXT = AfterValidator(check_text)

Line = Annotated[str, LINE]
"""One line: names, ids, URLs, passwords, search terms."""

Text = Annotated[str, TEXT]
"""Free text such as a review comment: tabs and line breaks allowed."""

JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
"""A small free-form JSON object (an event summary), checked all the way down."""


# -- the identities every side agrees on ----------------------------------------

_REGION_CODE = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
REGION_CODE_RULE = "2-16 characters, a letter first, then letters, digits or '-'"


def region_code_problem(code: str) -> str | None:
    """Why `code` (already normalised) is no region code, or None."""
    if _REGION_CODE.match(code):
        return None
    return f"region code {code!r} is not valid: {REGION_CODE_RULE}"


def normalise_region_code(code: str) -> str:
    """The one region-code rule: trimmed, lowercase, as the regions table's check says."""
    return code.strip().lower()


def _region_code(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the str schema refuses it with its own message
    code = normalise_region_code(value)
    problem = region_code_problem(code)
    if problem is not None:
        raise PydanticCustomError("region_code", problem)
    return code


RegionCode = Annotated[str, BeforeValidator(_region_code)]
"""A region's code, normalised (`EU ` -> `eu`); anything else is refused with the rule."""

# Printable ASCII: a pattern that keeps out every character the text checks refuse.
ExternalEventId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]
"""A region's own id of an event."""

_ANSWER_KEY = r"^[a-z][a-z0-9_]{0,31}$"
AnswerKey = Annotated[str, StringConstraints(pattern=_ANSWER_KEY)]
"""A key inside a review form: a decision, a reason list or option, a field."""


def _answer_keys(value: Any, *, most: int) -> dict[str, Any]:
    """A JSON object keyed by form keys; errors name the key's position, never the key."""
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "must be an object keyed by the form's keys")
    if len(value) > most:
        raise PydanticCustomError("too_long", "at most {most} keys", {"most": most})
    for n, key in enumerate(value, 1):
        if not isinstance(key, str) or not re.match(_ANSWER_KEY, key):
            raise PydanticCustomError(
                "answer_key",
                "key number {n} is not a form key (a lowercase letter, then up to 31 "
                "lowercase letters, digits or '_')",
                {"n": n},
            )
    return value


def _reason_codes(value: Any) -> Any:
    for key, codes in _answer_keys(value, most=10).items():
        fits = isinstance(codes, list) and len(codes) <= 50
        if not fits or not all(isinstance(c, str) and re.match(_ANSWER_KEY, c) for c in codes):
            raise PydanticCustomError(
                "reason_codes", "{key} must be a list of at most 50 reason codes", {"key": key}
            )
    return value


def _field_values(value: Any) -> Any:
    for key, item in _answer_keys(value, most=20).items():
        if isinstance(item, bool | int):
            continue
        if isinstance(item, float) and math.isfinite(item):
            continue
        if (
            isinstance(item, str)
            and len(item) <= 1_000
            and not forbidden_character(item, multiline=True)
        ):
            continue
        raise PydanticCustomError(
            "field_value",
            "{key} must be true, false, a number or a text of at most 1000 characters "
            "without control characters",
            {"key": key},
        )
    return value


ReasonCodes = Annotated[dict[str, list[str]], BeforeValidator(_reason_codes)]
"""Reason codes by reason list: `{"cause": ["pothole"]}`."""

FieldValues = Annotated[dict[str, bool | int | float | str], BeforeValidator(_field_values)]
"""A form's further answers by field: `{"vehicles": 2, "injuries_visible": false}`."""

FormKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
"""A review form's key."""

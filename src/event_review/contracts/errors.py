"""The error body every service answers with, so clients parse one shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def documented(**by_status: str) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` for the error answers of a route: `documented(e404="No such team")`.

    Every route refusing input says so with a 422 that names each bad field.
    """
    found: dict[int | str, dict[str, object]] = {
        int(status.removeprefix("e")): {"model": ErrorBody, "description": description}
        for status, description in by_status.items()
    }
    found.setdefault(
        422, {"model": ErrorBody, "description": "Invalid input, naming each bad field"}
    )
    return found

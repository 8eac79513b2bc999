"""Domain errors that carry their HTTP status, and the handlers that render them."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from event_review.contracts.errors import ErrorBody, ErrorDetail


class ApiError(Exception):
    """An expected failure with a stable machine-readable code."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.headers = headers


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class Unprocessable(ApiError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(ApiError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, math.ceil(retry_after)))})


class BadGateway(ApiError):
    status_code = 502
    code = "bad_gateway"


class GatewayTimeout(ApiError):
    status_code = 504
    code = "gateway_timeout"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "unavailable"


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=details))
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status_code, headers=headers
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: echoing "input" back could copy a
    # payload someone tried to smuggle into a log or a client's error report.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def _validation_message(details: list[dict[str, Any]]) -> str:
    """Name the bad items of a list body, so a client fixes them all in one go."""
    bad: set[tuple[str, int]] = set()
    for detail in details:
        loc = detail["loc"]
        if len(loc) >= 3 and loc[0] == "body" and isinstance(loc[2], int):
            detail["index"] = loc[2]
            bad.add((str(loc[1]), loc[2]))
    if not bad:
        return "the request is not valid"
    field = sorted(bad)[0][0]
    indexes = ", ".join(str(i) for _, i in sorted(bad))
    return f"{field} at index {indexes} not valid; nothing was stored"


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc)
        return error_response(422, "validation_error", _validation_message(details), details)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {
            400: "malformed_request",
            404: "not_found",
            405: "method_not_allowed",
            413: "body_too_large",
        }.get(exc.status_code, "http_error")
        return error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    async def on_data_error(_: Request, _exc: Exception) -> JSONResponse:
        # A value that passed validation but that PostgreSQL cannot hold (an id
        # beyond the column's range, text with lone surrogates). The input's
        # fault, so a 4xx; the value itself is not echoed.
        return error_response(
            422,
            "invalid_value",
            "a value in the request cannot be stored: out of range or not valid text",
        )

    async def on_database_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if not exc.connection_invalidated:
            raise exc  # a real fault: Starlette's server-error middleware logs it, 500
        # Services' pools hand out connections without a liveness round trip
        # (Database.connect), so after a database restart or failover one request
        # per process meets a dead connection. SQLAlchemy has then discarded the
        # pool; nothing was committed, and a retry gets a fresh connection.
        return error_response(
            503,
            "database_unavailable",
            "the database connection was lost; nothing was changed, retry the request",
            headers={"Retry-After": "1"},
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

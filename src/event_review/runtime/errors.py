"""Domain errors that carry their HTTP status, and the handlers that render them."""

from __future__ import annotations

import math
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from event_review.contracts.errors import ErrorBody, ErrorDetail
from event_review.runtime.asgi import HttpMiddleware, StartTracking

log = structlog.get_logger(__name__)


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


class DatabaseUnavailable(ServiceUnavailable):
    """The database refused or lost the connection: a restart, a failover, too many clients.

    Safe to retry: the request's transaction did not commit, or committed a
    change that a repeat finds done (a second review gets `already_reviewed`).
    """

    code = "database_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "the database is unavailable (restarting or failing over); retry in a moment",
            headers={"Retry-After": "1"},
        )


class InvalidValue(Unprocessable):
    """A value passed validation but PostgreSQL cannot hold it (SQLSTATE class 22)."""

    code = "invalid_value"

    def __init__(self) -> None:
        # The value itself is never echoed.
        super().__init__("a value in the request cannot be stored: out of range or not valid text")


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

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # Engines built by runtime.database translate these at the source; this
        # is the net for a session on any other engine.
        assert isinstance(exc, DBAPIError)
        translated = classify_database_error(exc.orig, disconnect=exc.connection_invalidated)
        if translated is None:
            raise exc  # a real fault: UnhandledErrorMiddleware logs it and answers 500
        return await on_api_error(request, translated)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


# SQLSTATE classes and codes that mean "no usable connection": 08 connection
# exception; 57P01-57P03 admin or crash shutdown, cannot connect now (starting
# up, shutting down); 53300 too many connections.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def sqlstate_of(error: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error, or of the asyncpg error a driver adapter wraps."""
    while error is not None:
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None


def classify_database_error(error: BaseException | None, *, disconnect: bool) -> ApiError | None:
    """The answer a database failure deserves, or None for a fault of our own (a 500).

    A value PostgreSQL cannot hold (SQLSTATE class 22: NUL in text, a number
    out of range) is the caller's input: 422. A lost, refused or not yet
    accepting connection is the database being away: 503 with Retry-After.
    Plain OSErrors come from connecting: refused, reset, timed out.
    """
    state = sqlstate_of(error)
    if state is not None and state.startswith("22"):
        return InvalidValue()
    if disconnect or isinstance(error, OSError):
        return DatabaseUnavailable()
    if state is not None and state.startswith(_UNAVAILABLE_STATES):
        return DatabaseUnavailable()
    return None


class UnhandledErrorMiddleware(HttpMiddleware):
    """The last net: an exception no handler took still gets the house error shape.

    Starlette's own fallback answers plain text, outside the middlewares that
    add the request id and the security headers, and logs an object repr.
    This sits inside both, so the 500 carries them, and logs what happened:
    exception type, message and stack, method, path and request id (bound by
    the observability middleware). Never the request's body or query string.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracking = StartTracking(send)
        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", None)
            log.error(
                "http.unhandled_error",
                method=scope["method"],
                path=scope["path"],
                route=route,
                response_started=tracking.started,
                exc_info=exc,
            )
            if tracking.started:
                # Headers are out: all that is left is to cut the response short,
                # which the server does when the app returns without finishing it.
                return
            response = error_response(
                500, "internal_error", "something went wrong on our side; it has been logged"
            )
            await response(scope, receive, send)

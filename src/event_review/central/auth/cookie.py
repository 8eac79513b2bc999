"""The refresh token as a cookie, for the web client.

A script on the page can read neither it nor, being scoped to the refresh
route, send it anywhere else: an XSS that runs while the page is open can act
for the user, but cannot carry the 12-hour session away. Strict same-site
means no other site's page can make the browser present it. API clients keep
the token in the body instead (`refresh_cookie` left false at login).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Response

NAME = "event_review_refresh"
PATH = "/api/v1/auth/refresh"


def set_refresh(response: Response, token: str, expires_at: datetime) -> None:
    response.set_cookie(
        NAME,
        token,
        max_age=max(int((expires_at - datetime.now(UTC)).total_seconds()), 0),
        path=PATH,
        # Browsers take Secure cookies from http://localhost and 127.0.0.1 too,
        # so `make up` works without TLS; anywhere else the cookie needs HTTPS.
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_refresh(response: Response) -> None:
    response.delete_cookie(NAME, path=PATH, secure=True, httponly=True, samesite="strict")

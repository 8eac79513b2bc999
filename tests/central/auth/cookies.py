"""Reading the refresh cookie off a response, as a browser would see it."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from event_review.central.auth import cookie


def refresh_cookie_attributes(response: httpx.Response) -> dict[str, str]:
    """The refresh cookie's value (under "value") and attributes; fails if none was set."""
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        if cookie.NAME in parsed:
            morsel = parsed[cookie.NAME]
            attributes = {key: str(value) for key, value in morsel.items() if value}
            return {"value": morsel.value, **attributes}
    raise AssertionError(f"no {cookie.NAME} cookie set: {response.headers.get_list('set-cookie')}")


def refresh_cookie(response: httpx.Response) -> str:
    return refresh_cookie_attributes(response)["value"]

"""Every route declares who may call it; this module makes that checkable.

Authorisation dependencies are tagged with the rule they enforce. When an app
is built, each route's dependency tree is searched for tags and the rules are
published in the OpenAPI spec as `x-access`. A test reads the spec of every
target and fails on any operation without a rule, so a new route cannot ship
unguarded by omission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__access_rule__"
PUBLIC = "public"


def access_rule(rule: str) -> Callable[[F], F]:
    def tag(function: F) -> F:
        setattr(function, _ATTRIBUTE, rule)
        return function

    return tag


@access_rule(PUBLIC)
async def public() -> None:
    """Anyone may call this route (health, metrics, login)."""


def rules_of(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    rule = getattr(dependant.call, _ATTRIBUTE, None)
    if rule is not None:
        found.add(rule)
    for child in dependant.dependencies:
        found |= rules_of(child)
    return found


def publish_access_rules(router: APIRouter) -> APIRouter:
    """Record each route's rules in its OpenAPI operation (`x-access`), before inclusion."""
    router_rules = {
        rule
        for dependency in router.dependencies
        if (rule := getattr(dependency.dependency, _ATTRIBUTE, None)) is not None
    }
    for route in router.routes:
        if isinstance(route, APIRoute):
            rules = sorted(router_rules | rules_of(route.dependant))
            route.openapi_extra = {**(route.openapi_extra or {}), "x-access": rules}
    return router

"""Who an audit row names as acting."""

from __future__ import annotations

from dataclasses import dataclass

from event_review.central.db.models import ActorType


@dataclass(frozen=True)
class Actor:
    kind: ActorType
    name: str

    @classmethod
    def user(cls, username: str) -> Actor:
        return cls(ActorType.USER, username)

    @classmethod
    def operator(cls, name: str = "cli") -> Actor:
        """Someone at the command line (or `up` setting up its demo)."""
        return cls(ActorType.OPERATOR, name)

    @classmethod
    def service(cls, name: str) -> Actor:
        return cls(ActorType.SERVICE, name)

    @classmethod
    def region(cls, code: str) -> Actor:
        return cls(ActorType.REGION, code)

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from event_review.runtime.database import NAMING_CONVENTION


class Base(DeclarativeBase):
    """The central database's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

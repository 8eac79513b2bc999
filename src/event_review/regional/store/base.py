from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from event_review.runtime.database import NAMING_CONVENTION


class RegionalBase(DeclarativeBase):
    """The regional database's tables: a separate database, a separate schema history."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.central.stats.day import Day
from tests.factories import Factory


@pytest.fixture
async def day(client: httpx.AsyncClient, factory: Factory, session: AsyncSession) -> Day:
    built = Day()
    await built.run(client, factory, session)
    return built

"""The async MongoDB client factory and its readiness check (pymongo's AsyncMongoClient)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from aduan_shared.settings import MongoSettings

Document = dict[str, Any]


def create_mongo_client(settings: MongoSettings, app_name: str) -> AsyncMongoClient[Document]:
    """Build a client without connecting; the first operation (or `mongo_ready`) connects."""
    return AsyncMongoClient(
        settings.mongodb_url.get_secret_value(),
        uuidRepresentation="standard",
        tz_aware=True,
        connect=False,
        appname=app_name,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
    )


async def mongo_ready(client: AsyncMongoClient[Document], timeout_s: float = 2.0) -> bool:
    """True when the server answers `ping` within `timeout_s`."""
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout_s)
    except (PyMongoError, TimeoutError):
        return False
    return True

"""MongoDB repository of cases."""

from __future__ import annotations

from typing import Protocol

from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from aduan_disposition.domain import Case


class CaseStore(Protocol):
    async def create(self, case: Case) -> Case:
        """Insert the case unless it exists; return the stored case."""
        ...

    async def get(self, report_id: str) -> Case | None: ...

    async def by_tracking_code(self, code: str) -> Case | None: ...


class MongoCaseStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db["cases"]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("tracking_code", unique=True)
        await self._cases.create_index([("unit_id", 1), ("state", 1)])

    async def create(self, case: Case) -> Case:
        stored = await self._cases.find_one_and_update(
            {"_id": case.report_id},
            {"$setOnInsert": case.to_document()},
            upsert=True,
            return_document=True,
        )
        return Case.from_document(stored) if stored else case

    async def get(self, report_id: str) -> Case | None:
        doc = await self._cases.find_one({"_id": report_id})
        return Case.from_document(doc) if doc else None

    async def by_tracking_code(self, code: str) -> Case | None:
        doc = await self._cases.find_one({"tracking_code": code})
        return Case.from_document(doc) if doc else None

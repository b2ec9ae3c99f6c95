"""Public API of analytics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aduan_analytics.adapters.readmodel import ReportReadModel
from aduan_analytics.domain import summary


def create_api(reports: ReportReadModel) -> APIRouter:
    router = APIRouter(prefix="/v1/public", tags=["public"])

    @router.get("/summary", summary="Totals and the share of each state")
    async def public_summary() -> dict[str, Any]:
        return summary(await reports.counts_by_state())

    return router

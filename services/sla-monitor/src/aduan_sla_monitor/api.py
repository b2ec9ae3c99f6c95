"""HTTP API of the SLA monitor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aduan_sla_monitor.adapters.assignments import AssignmentStore


def create_api(assignments: AssignmentStore) -> APIRouter:
    router = APIRouter(prefix="/v1/sla", tags=["sla"])

    @router.get("/cases/{report_id}", summary="Assignments and deadlines of a report")
    async def case(report_id: str) -> dict[str, Any]:
        return {"report_id": report_id, "assignments": await assignments.for_report(report_id)}

    return router

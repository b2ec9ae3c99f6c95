"""HTTP API of disposition: officers read cases of their unit; citizens track by code."""

from __future__ import annotations

from typing import Annotated, Any

from aduan_shared.auth import Principal, Role, current_principal
from aduan_shared.errors import CaseNotFound, NotFound
from fastapi import APIRouter, Depends, Response

from aduan_disposition.adapters.cases import CaseStore
from aduan_disposition.domain import Case, public_timeline

ALL_CASES_ROLES = {Role.CRM_ADMIN, Role.VERIFIER, Role.LEADER}


def can_see(principal: Principal, case: Case) -> bool:
    """A unit officer sees only the cases at their own unit; admin, verifier, leader see all."""
    if principal.has_any(ALL_CASES_ROLES):
        return True
    return Role.UNIT_OFFICER in principal.roles and principal.unit_id == case.unit_id


def create_api(cases: CaseStore) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/cases/{report_id}", tags=["cases"], summary="A case with its full history")
    async def get_case(
        report_id: str,
        response: Response,
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Case:
        case = await cases.get(report_id)
        if case is None or not can_see(principal, case):  # absent, never another unit's data
            raise CaseNotFound(f"no case {report_id} visible to you")
        response.headers["ETag"] = f'"{case.version}"'
        return case

    @router.get(
        "/track/{tracking_code}",
        tags=["tracking"],
        summary="Public timeline of a report (no identities)",
    )
    async def track(tracking_code: str) -> dict[str, Any]:
        case = await cases.by_tracking_code(tracking_code.strip().upper())
        if case is None:
            raise NotFound(f"no report with tracking code {tracking_code}")
        return {
            "tracking_code": case.tracking_code,
            "state": case.state.value,
            "label": case.state.label,
            "unit_name": case.unit_name,
            "category": case.category,
            "kelurahan": case.kelurahan.name if case.kelurahan else None,
            "timeline": public_timeline(case),
        }

    return router

"""HTTP API of the notifier: support staff see what a report's people were told (no contacts)."""

from __future__ import annotations

from typing import Annotated, Any

from aduan_shared.auth import Principal, Role, require_roles
from fastapi import APIRouter, Depends

from aduan_notifier.adapters.deliveries import DeliveryStore


def create_api(deliveries: DeliveryStore) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["notifications"])

    @router.get(
        "/notifications",
        summary="The notifications recorded for a report (CRM admin); recipients are references",
    )
    async def notifications(
        report_id: str,
        _: Annotated[Principal, Depends(require_roles(Role.CRM_ADMIN))],
    ) -> list[dict[str, Any]]:
        return await deliveries.for_report(report_id)

    return router

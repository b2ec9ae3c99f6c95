"""The city's units over HTTP (from its configuration), with the official heading each now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from aduan_shared.auth import Principal, current_principal
from aduan_shared.cityconfig import CityConfig, Unit, UnitKind
from aduan_shared.errors import NotFound
from aduan_shared.events import utcnow
from fastapi import APIRouter, Depends
from pydantic import BaseModel

Caller = Annotated[Principal, Depends(current_principal)]


class UnitOut(BaseModel):
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    kota_kode: str | None = None

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        return cls(
            id=unit.id,
            name=unit.name,
            kind=unit.kind,
            parent_id=unit.parent_id,
            kota_kode=unit.kota_kode,
        )


class Head(BaseModel):
    official_id: str
    name: str
    since: date | None  # None: the city lists no head (a placeholder is named)


class UnitDetail(UnitOut):
    head: Head
    sudin: list[UnitOut] = []  # a Dinas's Suku Dinas (dispose targets)


def create_units_api(city: CityConfig, units: Mapping[str, Unit]) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["units"])
    ordered = sorted(units.values(), key=lambda u: u.id)

    @router.get("/units", summary="The city's units (from its configuration)")
    async def list_units(
        principal: Caller,
        kind: UnitKind | None = None,
        parent_id: str | None = None,
        kota_kode: str | None = None,
    ) -> list[UnitOut]:
        return [
            UnitOut.of(u)
            for u in ordered
            if (kind is None or u.kind == kind)
            and (parent_id is None or u.parent_id == parent_id)
            and (kota_kode is None or u.kota_kode == kota_kode)
        ]

    @router.get(
        "/units/{unit_id}",
        summary="A unit with the official heading it now",
        responses={404: {"description": "no such unit"}},
    )
    async def get_unit(unit_id: str, principal: Caller) -> UnitDetail:
        unit = units.get(unit_id)
        if unit is None:
            raise NotFound(f"no unit {unit_id}")
        head = city.head_of(unit_id, utcnow())
        return UnitDetail(
            **UnitOut.of(unit).model_dump(),
            head=Head(
                official_id=head.official_id,
                name=head.name,
                since=None if head.since == date.min else head.since,
            ),
            sudin=[UnitOut.of(u) for u in ordered if u.kind == "sudin" and u.parent_id == unit.id],
        )

    return router

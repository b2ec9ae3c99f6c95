"""Routing rules as pure functions: a placed report and its category → the unit that must act."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aduan_shared.city import kecamatan_kode, kota_kode, unit_id_for_kelurahan
from aduan_shared.events import AreaRef

Method = Literal["polygon", "snapped", "gazetteer", "none"]
DEFAULT_CATEGORY = "Lainnya"


@dataclass(frozen=True)
class Kelurahan:
    kode: str
    name: str
    kecamatan: str
    kota: str

    @property
    def kecamatan_kode(self) -> str:
        return kecamatan_kode(self.kode)

    @property
    def kota_kode(self) -> str:
        return kota_kode(self.kode)

    @property
    def unit_id(self) -> str:
        return unit_id_for_kelurahan(self.kode)

    @property
    def unit_name(self) -> str:
        return f"Kelurahan {self.name}"


Areas = tuple[AreaRef | None, AreaRef | None, AreaRef | None]


def area_refs(kel: Kelurahan | None) -> Areas:
    """The (kelurahan, kecamatan, kota) references of a kelurahan, or three Nones."""
    if kel is None:
        return None, None, None
    return (
        AreaRef(kode=kel.kode, name=kel.name),
        AreaRef(kode=kel.kecamatan_kode, name=kel.kecamatan),
        AreaRef(kode=kel.kota_kode, name=kel.kota),
    )


@dataclass(frozen=True)
class Placement:
    """Where a report lies: its kelurahan (or none), how it was found and how far it was moved."""

    kelurahan: Kelurahan | None
    method: Method
    distance_m: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RouteDecision:
    category: str
    category_source: Literal["given", "classified"]
    placement: Placement
    unit_id: str | None
    unit_name: str | None
    needs_coordination: bool
    reason: str | None


def decide_route(placement: Placement, category: str | None) -> RouteDecision:
    """Return the routing decision for a placed report.

    Jakarta's default routes every category to the Lurah of the place; a report without a
    kelurahan goes to the CRM admin pool (`needs_coordination`) with the placement's reason.
    """
    source: Literal["given", "classified"] = "given" if category else "classified"
    chosen = category or DEFAULT_CATEGORY
    kel = placement.kelurahan
    if kel is None:
        return RouteDecision(
            chosen, source, placement, None, None, True, placement.reason or "no_location"
        )
    return RouteDecision(chosen, source, placement, kel.unit_id, kel.unit_name, False, None)

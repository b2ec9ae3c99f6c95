"""Routing rules as pure functions: a placed report and its category → the unit that must act."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aduan_shared.city import kecamatan_kode, kota_kode, unit_id_for_kelurahan
from aduan_shared.cityconfig import resolve_target
from aduan_shared.events import AreaRef

Method = Literal["polygon", "snapped", "gazetteer", "none"]


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
    """Where a report lies: its kelurahan (or only its kecamatan, or nothing), how it was found
    and how far it was moved."""

    kelurahan: Kelurahan | None
    method: Method
    distance_m: float | None = None
    reason: str | None = None
    kecamatan_kode: str | None = None  # known without a kelurahan (a kecamatan named in text)


@dataclass(frozen=True)
class CategoryChoice:
    name: str
    source: Literal["given", "classified"]
    confidence: float | None
    target: str  # the routing table's target: kelurahan | kecamatan | kota | sudin:x | dinas:x


@dataclass(frozen=True)
class RouteDecision:
    category: CategoryChoice
    placement: Placement
    unit_id: str | None
    unit_name: str | None
    needs_coordination: bool
    reason: str | None


def target_unit(target: str, placement: Placement) -> str | None:
    """The unit id the target names at this placement (None: the place needed is unknown).

    A kecamatan known without its kelurahan stands in for the kelurahan: the Camat's office
    receives what the Lurah would have."""
    if placement.kelurahan is not None:
        return resolve_target(target, placement.kelurahan.kode)
    if placement.kecamatan_kode is not None and not target.startswith("dinas:"):
        if target in ("kelurahan", "kecamatan"):
            return f"kecamatan:{placement.kecamatan_kode}"
        return resolve_target(target, f"{placement.kecamatan_kode}.0000")  # kota or its Sudin
    return resolve_target(target, None)


def decide_route(
    placement: Placement, category: CategoryChoice, units: Mapping[str, str]
) -> RouteDecision:
    """The routing decision: the category's target at the report's place, if that unit exists.

    `units` maps unit ids to names. No place (and a target that needs one) → the CRM admin pool
    with the placement's reason; a target naming no configured unit → the pool, `no_route`.
    """
    unit_id = target_unit(category.target, placement)
    if unit_id is None:
        return RouteDecision(
            category, placement, None, None, True, placement.reason or "no_location"
        )
    if unit_id not in units:
        return RouteDecision(category, placement, None, None, True, "no_route")
    return RouteDecision(category, placement, unit_id, units[unit_id], False, None)


def routing_part(decision: RouteDecision) -> dict[str, Any]:
    """The fields of the routed event that say where a report went (also `GET /v1/route`)."""
    kelurahan, kecamatan, kota = area_refs(decision.placement.kelurahan)
    return {
        "category": decision.category.name,
        "kelurahan": kelurahan,
        "kecamatan": kecamatan,
        "kota": kota,
        "unit_id": decision.unit_id,
        "unit_name": decision.unit_name,
        "method": decision.placement.method,
        "distance_m": decision.placement.distance_m,
        "needs_coordination": decision.needs_coordination,
        "reason": decision.reason,
    }

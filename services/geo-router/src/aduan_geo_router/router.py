"""The routing pipeline without I/O: place the report, choose its category, decide its unit."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.cityconfig import RoutingPolicy
from aduan_shared.events import Location, ReportReceived

from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.classifier import CategoryCatalog
from aduan_geo_router.domain import CategoryChoice, Placement, RouteDecision, decide_route
from aduan_geo_router.gazetteer import Gazetteer

DEFAULT_TARGET = "kelurahan"  # Jakarta's practice: the Lurah of the place receives first


@dataclass
class Router:
    boundaries: BoundaryIndex
    gazetteer: Gazetteer
    catalog: CategoryCatalog
    units: dict[str, str]  # unit id → name
    policy: RoutingPolicy

    def place_point(self, lat: float, lon: float) -> Placement:
        return self.boundaries.locate(lat, lon)

    def place_text(self, text: str) -> tuple[Placement, Location | None]:
        """Place by what the text says: coordinates or a maps link first, then names."""
        found = self.gazetteer.find(text)
        if found.lat is not None and found.lon is not None:
            return self.place_point(found.lat, found.lon), Location(
                lat=found.lat, lon=found.lon, source="text"
            )
        if found.kelurahan is not None:
            return Placement(found.kelurahan, "gazetteer"), None
        if found.kecamatan_kode is not None:
            return Placement(None, "gazetteer", kecamatan_kode=found.kecamatan_kode), None
        return Placement(None, "none", None, found.reason or "no_location"), None

    def choose_category(self, given: str | None, text: str) -> CategoryChoice:
        """The given category (canonical name when the city knows it), else the classifier's."""
        if given:
            known = self.catalog.by_name(given)
            name = known.name if known else given
            target = known.route if known else self._default_target()
            return CategoryChoice(name, "given", None, target)
        result = self.catalog.classify(text)
        category = self.catalog.by_name(result.category)
        target = category.route if category else self._default_target()
        return CategoryChoice(result.category, "classified", result.confidence, target)

    def _default_target(self) -> str:
        default = self.catalog.by_name(self.catalog.default)
        return default.route if default else DEFAULT_TARGET

    def route(self, report: ReportReceived) -> tuple[RouteDecision, Location | None]:
        """The decision for a report, and its location (found in the text when it had none)."""
        text = " ".join(t for t in (report.description, report.address_text) if t)
        location = report.location
        if location is not None:
            placement = self.place_point(location.lat, location.lon)
        else:
            placement, location = self.place_text(text)
        category = self.choose_category(report.category, report.description)
        return decide_route(placement, category, self.units), location

"""The city's configuration (`city.yaml`, `units.yaml`): boundaries, routing policy, units, heads.

Every service reads the same directory (`ADUAN_CITY_DIR`); the geo-router adds the geometry.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aduan_shared.city import KELURAHAN_FILE, CityConfigError, kecamatan_kode, kota_kode

UnitKind = Literal["kelurahan", "kecamatan", "kota", "dinas", "sudin", "admin_pool", "verifier"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BoundaryLayer(_Strict):
    file: str
    layer: str | None = None
    code: str = "kode"
    name: str
    kecamatan: str | None = None
    kota: str | None = None


class AreaLayer(_Strict):
    """A kecamatan or kota layer: only its codes and names are read."""

    file: str
    layer: str | None = None
    code: str = "kode"
    name: str


class BoundariesConfig(_Strict):
    dir: str = "."
    kelurahan: BoundaryLayer
    kecamatan: AreaLayer | None = None  # names when the kelurahan layer has no kecamatan column
    kota: AreaLayer | None = None
    overlap_tolerance_m2: float = Field(default=500.0, ge=0)


class CategoryName(BaseModel):
    """A category as citizens pick it: its label, stable code and first routing target."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    route: str = "kelurahan"


class Window(_Strict):
    distance_m: float = Field(gt=0)
    days: float = Field(gt=0)


class RoutingPolicy(_Strict):
    snap_distance_m: float = Field(default=200.0, ge=0)
    duplicate: Window = Window(distance_m=50, days=14)
    recurrence: Window = Window(distance_m=50, days=30)


class LifecyclePolicy(_Strict):
    """How cases move (DOMAIN.md "Lifecycle"): the city switches of the officers' workflow."""

    verification: bool = True  # off: a unit's completion is `done` without the verifier
    reopen_days: int = Field(default=7, ge=0)  # a reporter may reopen a done case this long
    evidence_distance_m: float = Field(default=300.0, gt=0)  # photo_far_from_location


class DeadlineDays(_Strict):
    """Days to respond and the warning points (days after arrival, before the deadline)."""

    days: int = Field(default=6, gt=0)
    warning_days: tuple[int, ...] = (4, 5)


class PenaltyStep(_Strict):
    """One row of the tunjangan policy table: this cut from this many breaches in a month."""

    min_breaches: int = Field(ge=1)
    cut_percent: float = Field(gt=0, le=100)


class SlaConfig(DeadlineDays):
    """DOMAIN.md "Deadlines (SLA) and the tunjangan penalty": how days count, per category."""

    mode: Literal["calendar", "working"] = "calendar"
    extra_days_off: tuple[date, ...] = ()  # city days off beyond national holidays/cuti bersama
    categories: dict[str, DeadlineDays] = {}  # per category name: its own days and warnings
    penalty: tuple[PenaltyStep, ...] = (PenaltyStep(min_breaches=1, cut_percent=10),)


class CityFile(_Strict):
    name: str
    tracking_prefix: str = "JKT"
    timezone: str = "Asia/Jakarta"
    metric_crs: str = "EPSG:32748"
    boundaries: BoundariesConfig
    routing: RoutingPolicy = RoutingPolicy()
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    sla: SlaConfig = SlaConfig()
    categories: str | None = None
    units: str | None = None


class UnitRef(_Strict):
    id: str
    name: str


class Opd(_Strict):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    sudin: bool = True


class Head(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    official_id: str
    name: str
    since: date = Field(alias="from")


class UnitsFile(_Strict):
    admin_pool: UnitRef = UnitRef(id="crm-admin", name="Admin CRM")
    verifier: UnitRef = UnitRef(id="verifier", name="Verifikator")
    opd: tuple[Opd, ...] = ()
    names: dict[str, str] = {}
    heads: dict[str, tuple[Head, ...]] = {}


@dataclass(frozen=True)
class Area:
    """A kelurahan as the boundary attributes name it."""

    kode: str
    name: str
    kecamatan: str
    kota: str


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None = None  # the Dinas of a Sudin
    kota_kode: str | None = None


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise CityConfigError(f"{path} does not exist")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CityConfigError(f"{path}: not valid YAML: {exc}") from exc


M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], path: Path) -> M:
    try:
        return model.model_validate(_read_yaml(path) or {})
    except ValidationError as exc:
        raise CityConfigError(f"{path}: {exc}") from exc


def attribute_rows(path: Path, layer: str | None = None) -> list[dict[str, Any]]:
    """The attribute rows of a boundary file (GeoJSON natively, other formats via pyogrio)."""
    if not path.is_file():
        raise CityConfigError(f"boundary file {path} does not exist")
    if path.suffix.lower() in {".geojson", ".json"}:
        return [f.get("properties") or {} for f in json.loads(path.read_text())["features"]]
    import pyogrio  # only cities with Shapefile/GeoPackage boundaries need it here

    frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    rows: list[dict[str, Any]] = frame.to_dict("records")
    return rows


def layer_names(directory: Path, layer: AreaLayer) -> dict[str, str]:
    """Code → name of a kecamatan or kota layer."""
    path = directory / layer.file
    rows = attribute_rows(path, layer.layer)
    if rows and not {layer.code, layer.name} <= rows[0].keys():
        raise CityConfigError(f"{path}: missing columns {[layer.code, layer.name]}")
    return {str(r[layer.code]): str(r[layer.name]) for r in rows}


def read_areas(city: CityConfig) -> list[Area]:
    """The city's kelurahan as named by the boundary attributes; kecamatan and kota names from
    their columns, else from their own layers, else their codes."""
    layer = city.city.boundaries.kelurahan
    path = city.kelurahan_path
    rows = attribute_rows(path, layer.layer)
    missing = [
        c
        for c in (layer.code, layer.name, layer.kecamatan, layer.kota)
        if c and rows and c not in rows[0]
    ]
    if missing:
        raise CityConfigError(f"{path}: missing columns {missing}")
    kec_names, kota_names = city.area_names()
    areas = []
    for r in rows:
        kode = str(r[layer.code])
        kec = (
            str(r[layer.kecamatan])
            if layer.kecamatan
            else kec_names.get(kecamatan_kode(kode), kecamatan_kode(kode))
        )
        kota = (
            str(r[layer.kota]) if layer.kota else kota_names.get(kota_kode(kode), kota_kode(kode))
        )
        areas.append(Area(kode, str(r[layer.name]), kec, kota))
    return areas


@dataclass
class CityConfig:
    """The loaded configuration: `load_city(dir)` builds it, the services read it."""

    directory: Path
    city: CityFile
    units_file: UnitsFile
    boundary_dir: Path

    @property
    def kelurahan_path(self) -> Path:
        return self.boundary_dir / self.city.boundaries.kelurahan.file

    def area_names(self) -> tuple[dict[str, str], dict[str, str]]:
        """Kecamatan and kota names by code from their own layers ({} when not configured)."""
        b = self.city.boundaries
        return (
            layer_names(self.boundary_dir, b.kecamatan) if b.kecamatan else {},
            layer_names(self.boundary_dir, b.kota) if b.kota else {},
        )

    @property
    def categories_path(self) -> Path | None:
        return self.directory / self.city.categories if self.city.categories else None

    def category_names(self) -> tuple[CategoryName, ...]:
        """The city's categories (name, code, route) in file order; () without a categories file.

        The geo-router validates the file fully (keywords, routes) when it loads its classifier;
        other services only need the names citizens choose from.
        """
        path = self.categories_path
        if path is None:
            return ()
        data = _read_yaml(path)
        rows = data.get("categories") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise CityConfigError(f"{path}: categories is missing or not a list")
        try:
            return tuple(CategoryName.model_validate(row) for row in rows)
        except ValidationError as exc:
            raise CityConfigError(f"{path}: {exc}") from exc

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.city.timezone)

    def units(self, areas: list[Area]) -> dict[str, Unit]:
        """Every unit: the area offices derived from `areas`, the OPD and Sudin, pool, verifier."""
        uf = self.units_file
        found: dict[str, Unit] = {}
        kotas: dict[str, str] = {}
        for a in sorted(areas, key=lambda a: a.kode):
            kec, kota = kecamatan_kode(a.kode), kota_kode(a.kode)
            kotas[kota] = a.kota
            found[f"kelurahan:{a.kode}"] = Unit(
                f"kelurahan:{a.kode}", f"Kelurahan {a.name}", "kelurahan", kota_kode=kota
            )
            found.setdefault(
                f"kecamatan:{kec}",
                Unit(f"kecamatan:{kec}", f"Kecamatan {a.kecamatan}", "kecamatan", kota_kode=kota),
            )
            found.setdefault(
                f"kota:{kota}", Unit(f"kota:{kota}", f"Kota {a.kota}", "kota", kota_kode=kota)
            )
        for opd in uf.opd:
            dinas = f"dinas:{opd.code}"
            found[dinas] = Unit(dinas, opd.name, "dinas")
            for kota, kota_name in kotas.items() if opd.sudin else ():
                sid = f"sudin:{opd.code}:{kota}"
                name = (
                    f"Suku Dinas {opd.name.removeprefix('Dinas ')} {kota_name}"
                    if opd.name.startswith("Dinas ")
                    else f"{opd.name} {kota_name}"
                )
                found[sid] = Unit(sid, name, "sudin", parent_id=dinas, kota_kode=kota)
        found[uf.admin_pool.id] = Unit(uf.admin_pool.id, uf.admin_pool.name, "admin_pool")
        found[uf.verifier.id] = Unit(uf.verifier.id, uf.verifier.name, "verifier")
        for unit_id, name in uf.names.items():
            if unit_id in found:
                u = found[unit_id]
                found[unit_id] = Unit(u.id, name, u.kind, u.parent_id, u.kota_kode)
        return found

    def head_of(self, unit_id: str, at: datetime) -> Head:
        """The official heading `unit_id` at `at` (the city's date); a placeholder if unlisted."""
        heads = self.units_file.heads.get(unit_id, ())
        day = at.astimezone(self.tz).date()
        i = bisect_right([h.since for h in heads], day)
        if i == 0:
            return Head(official_id=f"head:{unit_id}", name=f"Kepala {unit_id}", since=date.min)
        return heads[i - 1]


def load_city(directory: Path) -> CityConfig:
    """Read `city.yaml` and `units.yaml` of a city directory; raise CityConfigError naming the
    file and the problem."""
    if not (directory / "city.yaml").is_file() and (directory / KELURAHAN_FILE).is_file():
        return _boundaries_only(directory)
    city = _model(CityFile, directory / "city.yaml")
    units = _model(UnitsFile, directory / city.units) if city.units else UnitsFile()
    for unit_id, heads in units.heads.items():
        if list(heads) != sorted(heads, key=lambda h: h.since):
            raise CityConfigError(
                f"{directory / str(city.units)}: heads of {unit_id} not in date order"
            )
    override = os.environ.get("ADUAN_BOUNDARIES_DIR")
    boundary_dir = Path(override) if override else (directory / city.boundaries.dir).resolve()
    return CityConfig(directory, city, units, boundary_dir)


def _boundaries_only(directory: Path) -> CityConfig:
    """A directory with nothing but `kelurahan.geojson`: default policy, no OPD, no categories."""
    layer = BoundaryLayer(file=KELURAHAN_FILE, name="kelurahan", kecamatan="kecamatan", kota="kota")
    city = CityFile(name=directory.name, boundaries=BoundariesConfig(kelurahan=layer))
    return CityConfig(directory, city, UnitsFile(), directory)


def resolve_target(target: str, kelurahan_kode: str | None) -> str | None:
    """The unit id a routing target names for a report in `kelurahan_kode` (None: no location).

    `kelurahan`, `kecamatan`, `kota` and `sudin:<opd>` need the place; `dinas:<opd>` does not.
    Returns None when the place is needed but unknown. Raises ValueError on a malformed target.
    """
    kind, _, opd = target.partition(":")
    if kind == "dinas" and opd:
        return f"dinas:{opd}"
    if kind not in {"kelurahan", "kecamatan", "kota", "sudin"} or (kind == "sudin") != bool(opd):
        raise ValueError(f"malformed routing target {target!r}")
    if kelurahan_kode is None:
        return None
    if kind == "kelurahan":
        return f"kelurahan:{kelurahan_kode}"
    if kind == "kecamatan":
        return f"kecamatan:{kecamatan_kode(kelurahan_kode)}"
    if kind == "kota":
        return f"kota:{kota_kode(kelurahan_kode)}"
    return f"sudin:{opd}:{kota_kode(kelurahan_kode)}"

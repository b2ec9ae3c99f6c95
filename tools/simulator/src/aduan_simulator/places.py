"""Where reports happen: uniform points inside the city's real kelurahan polygons.

The kelurahan are read from the city configuration (`load_city`, `read_areas`) and their
boundary file (GeoJSON). A kelurahan is drawn with weight = its kota's population share
(`mix.KOTA_POPULATION`) × its share of the kota's area; a point inside it by rejection sampling
in its bounding box (uniform over the polygon). Points are rounded to 6 decimals (about 0.1 m,
what a phone or a maps link gives) and kept only if the rounded point is still inside.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aduan_shared.cityconfig import load_city, read_areas
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from aduan_simulator.mix import KOTA_POPULATION, WeightedChoice

#: Jakarta's configuration in this repository (tools/simulator/src/aduan_simulator → repo root).
DEFAULT_CITY_DIR = Path(__file__).resolve().parents[4] / "config" / "cities" / "jakarta"
MAX_TRIES = 10_000


@dataclass(frozen=True)
class Kelurahan:
    kode: str
    name: str
    kecamatan: str
    kota: str
    area: float  # in square degrees: only compared within the city
    geometry: BaseGeometry


@dataclass(frozen=True)
class Place:
    """A sampled point and the kelurahan it lies in."""

    lat: float
    lon: float
    kelurahan: Kelurahan

    @property
    def unit_id(self) -> str:
        return f"kelurahan:{self.kelurahan.kode}"


class Places:
    """The kelurahan of a city and a sampler of points inside them."""

    def __init__(
        self, kelurahan: list[Kelurahan], kota_weights: Mapping[str, float] | None = None
    ) -> None:
        if not kelurahan:
            raise ValueError("the city has no kelurahan")
        self.kelurahan = {k.kode: k for k in kelurahan}
        self._prepared: dict[str, PreparedGeometry] = {k.kode: prep(k.geometry) for k in kelurahan}
        self._choice = WeightedChoice(self.weights(kelurahan, kota_weights or KOTA_POPULATION))

    @staticmethod
    def weights(kelurahan: list[Kelurahan], kota_weights: Mapping[str, float]) -> dict[str, float]:
        """kode → kota weight × the kelurahan's share of its kota's area (kota not listed: the
        smallest listed weight, so every kelurahan can be drawn)."""
        kota_area: dict[str, float] = {}
        for k in kelurahan:
            kota_area[k.kota] = kota_area.get(k.kota, 0.0) + k.area
        fallback = min(kota_weights.values()) if kota_weights else 1.0
        return {
            k.kode: kota_weights.get(k.kota, fallback) * k.area / kota_area[k.kota]
            for k in kelurahan
            if k.area > 0
        }

    @classmethod
    def from_city(cls, city_dir: Path = DEFAULT_CITY_DIR) -> Places:
        """The kelurahan of the city configured in `city_dir` (ADUAN_BOUNDARIES_DIR respected)."""
        city = load_city(city_dir)
        areas = {a.kode: a for a in read_areas(city)}
        code = city.city.boundaries.kelurahan.code
        features = json.loads(city.kelurahan_path.read_text(encoding="utf-8"))["features"]
        found = []
        for feature in features:
            kode = str((feature.get("properties") or {}).get(code))
            area = areas.get(kode)
            if area is None or not feature.get("geometry"):
                continue
            geometry = shape(feature["geometry"])
            found.append(
                Kelurahan(kode, area.name, area.kecamatan, area.kota, geometry.area, geometry)
            )
        return cls(found)

    def contains(self, kode: str, lat: float, lon: float) -> bool:
        return bool(self._prepared[kode].contains(Point(lon, lat)))

    def point_in(self, kode: str, rng: random.Random) -> Place:
        """A uniform point inside kelurahan `kode` (rejection sampling in its bounds)."""
        kel = self.kelurahan[kode]
        min_x, min_y, max_x, max_y = kel.geometry.bounds
        for _ in range(MAX_TRIES):
            lon = round(rng.uniform(min_x, max_x), 6)
            lat = round(rng.uniform(min_y, max_y), 6)
            if self.contains(kode, lat, lon):
                return Place(lat, lon, kel)
        raise ValueError(f"no point found inside kelurahan {kode} in {MAX_TRIES} tries")

    def sample(self, rng: random.Random) -> Place:
        """A kelurahan drawn by weight, then a point inside it."""
        return self.point_in(self._choice.draw(rng), rng)

"""Jakarta's real units (from config/cities/jakarta), for tests that need a unit map."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from aduan_shared.cityconfig import Unit, load_city, read_areas

JAKARTA = Path(__file__).resolve().parents[4] / "config" / "cities" / "jakarta"


@lru_cache(maxsize=1)
def _all_units() -> dict[str, Unit]:
    city = load_city(JAKARTA)
    return city.units(read_areas(city))


def jakarta_units(*unit_ids: str) -> dict[str, Unit]:
    """The named units of Jakarta's configuration (all of them when none is named)."""
    units = _all_units()
    missing = [u for u in unit_ids if u not in units]
    if missing:
        raise KeyError(f"not units of Jakarta's configuration: {missing}")
    return {u: units[u] for u in unit_ids} if unit_ids else dict(units)

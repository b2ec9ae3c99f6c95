"""Where a city's configuration lives, and the small sample city a fresh clone generates itself.

A city points `ADUAN_CITY_DIR` at a directory holding at least `kelurahan.geojson` (features with
`kode`, `kelurahan`, `kecamatan`, `kota` properties; Kemendagri codes `PP.KK.CC.DDDD`). Without it
the platform falls back to a generated sample city so that it still runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

KELURAHAN_FILE = "kelurahan.geojson"
SAMPLE_CITY_VERSION = "2"


class CityConfigError(RuntimeError):
    """The city directory is missing or incomplete."""


def unit_id_for_kelurahan(kode: str) -> str:
    return f"kelurahan:{kode}"


def kecamatan_kode(kelurahan_kode: str) -> str:
    """`31.71.01.1001` → `31.71.01`."""
    return kelurahan_kode.rsplit(".", 1)[0]


def kota_kode(kelurahan_kode: str) -> str:
    """`31.71.01.1001` → `31.71`."""
    return ".".join(kelurahan_kode.split(".")[:2])


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aduan"


def resolve_city_dir(configured: Path | None) -> Path:
    """The city directory to use: the configured one (checked) or the generated sample city."""
    if configured is None:
        return ensure_sample_city(cache_dir() / f"sample-city-v{SAMPLE_CITY_VERSION}")
    if not (configured / "city.yaml").is_file() and not (configured / KELURAHAN_FILE).is_file():
        raise CityConfigError(
            f"ADUAN_CITY_DIR={configured} has neither city.yaml nor {KELURAHAN_FILE}; point it "
            "at the city's configuration directory or unset it to use the generated sample city"
        )
    return configured


#: The sample city: 2 kecamatan of 3 kelurahan each, 0.01° squares south of Jakarta (fictional).
_SAMPLE_KECAMATAN = {
    "99.71.01": ("Sampel Utara", ["Melati", "Mawar", "Kenanga"]),
    "99.71.02": ("Sampel Selatan", ["Anggrek", "Cempaka", "Flamboyan"]),
}
_SAMPLE_ORIGIN = (-6.50, 106.80)  # south-west corner (lat, lon)
_SAMPLE_CELL = 0.01


def sample_city_features() -> list[dict[str, object]]:
    """GeoJSON features of the sample city's kelurahan."""
    features: list[dict[str, object]] = []
    lat0, lon0 = _SAMPLE_ORIGIN
    for row, (kec_kode, (kec_name, kelurahan)) in enumerate(_SAMPLE_KECAMATAN.items()):
        for col, name in enumerate(kelurahan):
            s, w = lat0 + row * _SAMPLE_CELL, lon0 + col * _SAMPLE_CELL
            n, e = s + _SAMPLE_CELL, w + _SAMPLE_CELL
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "kode": f"{kec_kode}.{1001 + col}",
                        "kelurahan": name,
                        "kecamatan": kec_name,
                        "kota": "Kota Sampel",
                    },
                    "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
                }
            )
    return features


SAMPLE_CITY_YAML = """\
# The generated sample city (fictional): used when ADUAN_CITY_DIR is not set.
name: Kota Sampel
tracking_prefix: SMP
boundaries:
  dir: .
  kelurahan: {file: kelurahan.geojson, name: kelurahan, kecamatan: kecamatan, kota: kota}
"""


def ensure_sample_city(directory: Path) -> Path:
    """Write the sample city into `directory` unless it is already there; return the directory."""
    files = {
        KELURAHAN_FILE: json.dumps(
            {"type": "FeatureCollection", "features": sample_city_features()}
        ),
        "city.yaml": SAMPLE_CITY_YAML,
    }
    for name, text in files.items():
        target = directory / name
        if not target.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(target)
    return directory

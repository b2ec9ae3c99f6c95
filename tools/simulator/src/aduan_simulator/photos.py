"""Pictures as phones take them: a distinct JPEG per seed, with EXIF GPS and capture time."""

from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import ExifTags, Image, ImageDraw


def _dms(value: float) -> tuple[float, float, float]:
    """A coordinate's absolute value as EXIF degrees, minutes, seconds."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def jpeg(
    seed: int,
    *,
    gps: tuple[float, float] | None = None,
    taken: datetime | None = None,
    size: tuple[int, int] = (320, 240),
) -> bytes:
    """A JPEG whose shapes differ per `seed` (perceptual hashes tell them apart), with optional
    EXIF GPS (lat, lon) and DateTimeOriginal (`taken`, local time of the camera)."""
    rnd = random.Random(seed)
    width, height = size
    im = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rnd.randrange(width - 20), rnd.randrange(height - 20)
        box = (x, y, x + rnd.randrange(20, width // 2), y + rnd.randrange(20, height // 2))
        draw.rectangle(box, fill=tuple(rnd.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = stamp
    if gps is not None:
        lat, lon = gps
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {1: "S" if lat < 0 else "N", 2: _dms(lat), 3: "W" if lon < 0 else "E", 4: _dms(lon)}
        )
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()

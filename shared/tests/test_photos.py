"""Photos: sniffing, limits, EXIF GPS/time, metadata stripping, hashes, GridFS storage."""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import struct
import subprocess
import sys
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aduan_devstack.infra import Mongo, free_port
from aduan_shared.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from aduan_shared.photo_store import GridFSPhotoStore, MemoryPhotoStore
from aduan_shared.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    check_count,
    gps_from_ifd,
    process_photo,
    sniff,
)
from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational as R
from pymongo import AsyncMongoClient

JAKARTA = (-6.2424, 106.8253)  # 6°14'32.64" S, 106°49'31.08" E
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/>secret-xmp</x:xmpmeta>'


# --- image factories ----------------------------------------------------------------------------


def picture(size: tuple[int, int] = (320, 240), variant: int = 0, mode: str = "RGB") -> Image.Image:
    """A structured picture (gradient and shapes): perceptual hashes have something to see."""
    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    if variant == 0:
        draw.ellipse((w * 0.1, h * 0.2, w * 0.5, h * 0.8), fill=(220, 40, 40))
        draw.rectangle((w * 0.6, h * 0.1, w * 0.9, h * 0.5), fill=(30, 30, 200))
    else:
        draw.rectangle((0, h * 0.6, w, h), fill=(20, 160, 20))
        draw.polygon([(w * 0.5, 0), (w, h * 0.5), (w * 0.2, h * 0.4)], fill=(250, 250, 0))
    return im.convert(mode)


def gps_exif(lat: float = JAKARTA[0], lon: float = JAKARTA[1], orientation: int = 1) -> Image.Exif:
    def dms(value: float) -> tuple[R, R, R]:
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60 * 100)
        return R(d), R(m), R(s, 100)

    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "Galaxy A54"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = ("S" if lat < 0 else "N"), dms(lat)
    gps[3], gps[4] = ("W" if lon < 0 else "E"), dms(lon)
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:11:12"  # DateTimeOriginal
    return exif


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def wide_gamut_icc() -> bytes:
    """A minimal ICC v2 matrix/TRC RGB profile with Display P3 primaries (D50, gamma 2.2)."""

    def xyz(*v: float) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(c * 65536)) for c in v)

    curv = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", 10) + b"Wide test\0" + bytes(78)
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.5151, 0.2412, -0.0011)),
        (b"gXYZ", xyz(0.2919, 0.6922, 0.0419)),
        (b"bXYZ", xyz(0.1571, 0.0666, 0.7841)),
        *((sig, curv) for sig in (b"rTRC", b"gTRC", b"bTRC")),
    ]
    table, body, start = b"", b"", 132 + 12 * len(tags)
    for sig, data in tags:
        table += sig + struct.pack(">II", start + len(body), len(data))
        body += data
    header = struct.pack(">I4sI", start + len(body), b"", 0x02100000) + b"mntrRGB XYZ "
    header += bytes(12) + b"acsp" + bytes(28) + xyz(0.9642, 1.0, 0.8249)[8:] + bytes(48)
    return header + struct.pack(">I", len(tags)) + table + body


# --- container inspection: what segments/chunks the stored bytes really carry --------------------


def jpeg_markers(data: bytes) -> set[int]:
    markers, i = set(), 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        markers.add(marker)
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    kinds, i = [], 8
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kinds.append(data[i + 4 : i + 8])
        i += 12 + length
    return kinds


def webp_chunks(data: bytes) -> list[bytes]:
    kinds, i = [], 12
    while i + 8 <= len(data):
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        kinds.append(data[i : i + 4])
        i += 8 + size + (size & 1)
    return kinds


def assert_no_metadata(data: bytes) -> None:
    out = Image.open(io.BytesIO(data))
    assert not out.getexif()
    assert not out.getexif().get_ifd(0x8825)
    leaked = {"exif", "xmp", "comment", "icc_profile", "Comment", "Author", "Description"}
    assert not leaked & set(out.info), out.info
    assert not getattr(out, "text", {}), "PNG text chunks left"
    assert b"secret" not in data and b"Samsung" not in data and b"Galaxy" not in data
    if data.startswith(b"\xff\xd8"):  # only JFIF APP0, tables and frame headers
        assert jpeg_markers(data) <= {0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD}
    elif data.startswith(b"\x89PNG"):
        assert set(png_chunks(data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    else:
        assert set(webp_chunks(data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


# --- accepted formats ---------------------------------------------------------------------------


def test_jpeg_gps_time_read_then_everything_stripped() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        picture(), "JPEG", quality=92, exif=gps_exif(), icc_profile=icc, comment=b"secret", xmp=XMP
    )
    assert Image.open(io.BytesIO(data)).info.get("xmp") == XMP  # the input does carry XMP

    p = process_photo(data)

    assert p.content_type == "image/jpeg" and sniff(p.data) == "image/jpeg"
    assert p.gps is not None
    assert p.gps[0] == pytest.approx(JAKARTA[0], abs=1e-6)
    assert p.gps[1] == pytest.approx(JAKARTA[1], abs=1e-6)
    assert p.taken_at == datetime.fromisoformat("2024-05-01T10:11:12+07:00")
    assert p.taken_at.utcoffset() == timedelta(hours=7)
    assert (p.width, p.height) == (320, 240)
    assert p.sha256 == hashlib.sha256(p.data).hexdigest()
    assert_no_metadata(p.data)


def test_orientation_is_applied_before_stripping() -> None:
    stored = picture((64, 32))
    ImageDraw.Draw(stored).rectangle((0, 0, 7, 7), fill=(255, 0, 0))  # stored top-left
    p = process_photo(encode(stored, "JPEG", quality=95, exif=gps_exif(orientation=6)))

    out = Image.open(io.BytesIO(p.data))
    assert (p.width, p.height) == out.size == (32, 64)  # rotated 90° clockwise for display
    pixel = out.convert("RGB").getpixel((28, 3))  # so stored top-left is now top-right
    assert isinstance(pixel, tuple) and pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60
    assert out.getexif().get(0x0112) is None  # no orientation tag left to rotate it twice


def test_png_text_chunks_and_exif_are_stripped_and_rgba_kept() -> None:
    info = PngInfo()
    info.add_text("Comment", "secret comment")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Author", "secret author", zip=True)
    im = picture(mode="RGBA")
    im.putpixel((0, 0), (1, 2, 3, 0))
    data = encode(im, "PNG", pnginfo=info, exif=gps_exif())
    assert Image.open(io.BytesIO(data)).info["Comment"] == "secret comment"

    p = process_photo(data)

    assert p.content_type == "image/png"
    assert p.gps == pytest.approx(JAKARTA, abs=1e-6)
    out = Image.open(io.BytesIO(p.data))
    assert out.mode == "RGBA" and out.getpixel((0, 0)) == (1, 2, 3, 0)
    assert_no_metadata(p.data)


def test_palette_png_with_transparency_becomes_rgba() -> None:
    im = picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    p = process_photo(encode(im, "PNG", transparency=0))
    assert Image.open(io.BytesIO(p.data)).mode == "RGBA"
    assert_no_metadata(p.data)


def test_webp_gps_read_and_exif_xmp_stripped() -> None:
    data = encode(picture(), "WEBP", quality=80, exif=gps_exif(-6.2, 106.8), xmp=XMP)
    assert {b"EXIF", b"XMP "} <= set(webp_chunks(data))

    p = process_photo(data)

    assert p.content_type == "image/webp"
    assert p.gps == pytest.approx((-6.2, 106.8), abs=1e-6)
    assert_no_metadata(p.data)


def test_cmyk_jpeg_is_stored_as_rgb() -> None:
    p = process_photo(encode(picture().convert("CMYK"), "JPEG", quality=90))
    assert Image.open(io.BytesIO(p.data)).mode == "RGB"
    assert p.gps is None and p.taken_at is None


def test_wide_gamut_icc_is_converted_to_srgb_then_dropped() -> None:
    icc = wide_gamut_icc()
    assert "Wide test" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    im = Image.new("RGB", (32, 32), (200, 100, 50))
    p = process_photo(encode(im, "PNG", icc_profile=icc))
    out = Image.open(io.BytesIO(p.data))
    assert "icc_profile" not in out.info
    pixel = out.getpixel((0, 0))  # the same colour, now in sRGB numbers (lcms: ±2)
    assert pixel == pytest.approx((216, 93, 24), abs=2)


def test_offset_time_original_overrides_jakarta_time() -> None:
    exif = gps_exif()
    exif.get_ifd(0x8769)[0x9011] = "+08:00"  # OffsetTimeOriginal (taken in Makassar time)
    p = process_photo(encode(picture(), "JPEG", exif=exif))
    assert p.taken_at == datetime.fromisoformat("2024-05-01T10:11:12+08:00")


# --- hashes -------------------------------------------------------------------------------------


def test_output_and_sha256_are_deterministic() -> None:
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = encode(picture(), fmt, exif=gps_exif())
        first, second = process_photo(data), process_photo(data)
        assert first.data == second.data and first.sha256 == second.sha256, fmt
        assert first.sha256 == hashlib.sha256(first.data).hexdigest()
        assert len(first.sha256) == 64


def test_phash_is_perceptual() -> None:
    high = process_photo(encode(picture(), "JPEG", quality=95))
    low = process_photo(encode(picture(), "JPEG", quality=40))
    other = process_photo(encode(picture(variant=1), "JPEG", quality=95))

    assert high.sha256 != low.sha256
    assert high.phash == low.phash
    assert high.phash != other.phash
    assert len(high.phash) == 16 and int(high.phash, 16) >= 0


def test_to_ref_builds_the_event_photo() -> None:
    p = process_photo(encode(picture(), "PNG"))
    ref = p.to_ref(p.sha256)
    assert (ref.photo_id, ref.sha256, ref.content_type, ref.phash) == (
        p.sha256,
        p.sha256,
        "image/png",
        p.phash,
    )


# --- refusals -----------------------------------------------------------------------------------


def test_gif_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType) as exc:
        process_photo(encode(picture(), "GIF"))
    assert exc.value.status == 415
    assert "GIF" in exc.value.detail and "JPEG, PNG and WebP" in exc.value.detail


def test_text_file_named_jpg_is_unsupported(tmp_path: Path) -> None:
    fake = tmp_path / "pothole.jpg"
    fake.write_text("this is not a photo, just text\n")
    with pytest.raises(UnsupportedMediaType):
        process_photo(fake.read_bytes())
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    with pytest.raises(UnsupportedMediaType, match="HEIC"):
        process_photo(heic)


def test_truncated_jpeg_is_invalid() -> None:
    data = encode(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG", quality=90)
    with pytest.raises(InvalidInput) as exc:
        process_photo(data[: len(data) // 2])
    assert exc.value.status == 422 and "truncated or corrupt" in exc.value.detail
    with pytest.raises(InvalidInput, match="empty"):
        process_photo(b"")


def test_oversized_payload_is_too_large() -> None:
    data = encode(picture(), "PNG")
    big = data + b"\x00" * (11 * 1024 * 1024 - len(data))
    assert len(big) > MAX_PHOTO_BYTES
    with pytest.raises(PayloadTooLarge) as exc:
        process_photo(big)
    assert exc.value.status == 413 and "10 MB" in exc.value.detail


@pytest.mark.parametrize("side", [8_000, 30_000])  # over our 50 MP; over Pillow's bomb error
def test_decompression_bomb_is_too_large(side: int) -> None:
    bomb = png_header_only(side, side)
    assert len(bomb) < 200
    with pytest.raises(PayloadTooLarge) as exc:
        process_photo(bomb)
    assert exc.value.status == 413 and "pixels" in exc.value.detail


def test_photo_count_limit() -> None:
    check_count(MAX_PHOTOS)
    with pytest.raises(PayloadTooLarge, match="at most 5 photos per report"):
        check_count(6)


# --- EXIF GPS edge cases ------------------------------------------------------------------------


def test_gps_parsing_edge_cases() -> None:
    dms = (R(6), R(14), R(3264, 100))
    assert gps_from_ifd({1: "S", 2: dms, 3: "W", 4: (R(106), R(49), R(3108, 100))}) == (
        pytest.approx(-6.2424),
        pytest.approx(-106.8253),
    )
    assert gps_from_ifd({1: "N\x00", 2: (R(62424, 10000),), 3: b"E", 4: (R(1068253, 10000),)})
    assert gps_from_ifd({}) is None
    assert gps_from_ifd({2: dms, 4: dms}) is None  # no N/S, E/W reference: sign unknown
    assert gps_from_ifd({1: "S", 2: (R(6), R(1, 0), R(0)), 3: "E", 4: dms}) is None  # NaN
    assert gps_from_ifd({1: "S", 2: (R(95), R(0), R(0)), 3: "E", 4: dms}) is None  # > 90°
    assert gps_from_ifd({1: "S", 2: (R(6), R(75), R(0)), 3: "E", 4: dms}) is None  # 75'
    assert gps_from_ifd({1: "S", 2: (float("inf"),), 3: "E", 4: dms}) is None
    assert gps_from_ifd({1: "S", 2: (6, float("nan"), 0), 3: "E", 4: dms}) is None
    zero = (R(0), R(0), R(0))
    assert gps_from_ifd({1: "N", 2: zero, 3: "E", 4: zero}) is None  # 0,0: no fix
    lat = gps_from_ifd({1: "S", 2: (R(-6), R(14), R(3264, 100)), 3: "E", 4: dms})
    assert lat is not None and math.isclose(lat[0], -6.2424)  # negative degrees and S


# --- storage ------------------------------------------------------------------------------------


async def test_memory_store_is_content_addressed() -> None:
    store = MemoryPhotoStore()
    p = process_photo(encode(picture(), "PNG"))
    assert await store.put(p) == await store.put(p) == p.sha256
    assert store.puts == 1
    assert await store.get(p.sha256) == (p.data, "image/png")
    assert await store.get("0" * 64) is None


async def test_gridfs_store_on_a_real_server(tmp_path: Path) -> None:
    mongo = Mongo(tmp_path, port=free_port())
    await asyncio.to_thread(mongo.start)  # cannot start → the test fails, it is never skipped
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo.url)
    try:
        db = client["aduan_intake_photos_test"]
        store = GridFSPhotoStore(db)
        await store.ensure_indexes()
        big = Image.effect_noise((800, 600), 80).convert("RGB")  # > 1 GridFS chunk (255 KiB)
        p = process_photo(encode(big, "JPEG", quality=100, exif=gps_exif()))
        assert len(p.data) > 300_000

        first = await store.put(p)
        second = await store.put(p)

        assert first == second == p.sha256
        assert await db["photos.files"].count_documents({}) == 1
        doc = await db["photos.files"].find_one({"filename": p.sha256})
        assert doc is not None and doc["length"] == len(p.data)
        assert doc["metadata"] == {
            "content_type": "image/jpeg",
            "width": 800,
            "height": 600,
            "phash": p.phash,
        }
        assert await store.get(first) == (p.data, "image/jpeg")
        assert await store.get("f" * 64) is None and await store.get("not-a-sha") is None

        racing = process_photo(encode(picture(), "WEBP"))  # concurrent puts: one file
        ids = await asyncio.gather(*(store.put(racing) for _ in range(4)))
        assert set(ids) == {racing.sha256}
        assert await db["photos.files"].count_documents({"filename": racing.sha256}) == 1
        file_ids = [d["_id"] async for d in db["photos.files"].find({}, {"_id": 1})]
        orphans = await db["photos.chunks"].count_documents({"files_id": {"$nin": file_ids}})
        assert orphans == 0
        assert await store.get(racing.sha256) == (racing.data, "image/webp")
    finally:
        await client.close()
        await asyncio.to_thread(mongo.stop)


def test_warm_up_leaves_no_lazy_import_for_the_first_real_photo() -> None:
    """In a fresh interpreter: after warm_up, processing a photo imports nothing more."""
    code = (
        "import io, sys\n"
        "from PIL import Image\n"
        "from aduan_shared import photos\n"
        "photos.warm_up()\n"
        "before = set(sys.modules)\n"
        "out = io.BytesIO(); Image.new('RGB', (300, 200), 'navy').save(out, 'PNG')\n"
        "photos.process_photo(out.getvalue())\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout

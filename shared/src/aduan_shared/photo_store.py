"""Content-addressed photo storage: GridFS (bucket "photos") and an in-memory twin for tests."""

from __future__ import annotations

import re
from typing import Protocol

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import FileExists, NoFile
from pymongo.asynchronous.database import AsyncDatabase

from aduan_shared.mongo import Document
from aduan_shared.photos import ProcessedPhoto

BUCKET = "photos"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoStore(Protocol):
    async def put(self, photo: ProcessedPhoto) -> str:
        """Store the photo unless its bytes are already stored; return its id (= sha256)."""
        ...

    async def get(self, photo_id: str) -> tuple[bytes, str] | None:
        """(data, content_type), or None for an unknown id."""
        ...


class GridFSPhotoStore:
    """GridFS files named by the sha256 of their bytes, so a photo is stored once.

    A unique index on `photos.files.filename` (made by `ensure_indexes()`, called at startup or
    else by the first put) makes concurrent puts of the same bytes store one file: the losers'
    chunks are removed."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)
        self._files = db[f"{BUCKET}.files"]
        self._chunks = db[f"{BUCKET}.chunks"]
        self._indexed = False

    async def ensure_indexes(self) -> None:
        await self._files.create_index("filename", unique=True)
        await self._chunks.create_index([("files_id", 1), ("n", 1)], unique=True)
        self._indexed = True

    async def put(self, photo: ProcessedPhoto) -> str:
        photo_id = photo.sha256
        if not self._indexed:
            await self.ensure_indexes()
        if await self._files.find_one({"filename": photo_id}, {"_id": 1}) is not None:
            return photo_id
        file_id = ObjectId()
        metadata = {
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
            "phash": photo.phash,
        }
        try:
            await self._bucket.upload_from_stream_with_id(
                file_id, photo_id, photo.data, metadata=metadata
            )
        except FileExists:  # a concurrent put of the same bytes won the unique filename
            await self._chunks.delete_many({"files_id": file_id})
        return photo_id

    async def get(self, photo_id: str) -> tuple[bytes, str] | None:
        if not _SHA256.match(photo_id):
            return None
        try:
            grid_out = await self._bucket.open_download_stream_by_name(photo_id)
        except NoFile:
            return None
        data = await grid_out.read()
        meta = grid_out.metadata or {}
        return data, str(meta.get("content_type", "application/octet-stream"))


class MemoryPhotoStore:
    """The same contract in a dict; `puts` counts the photos actually stored."""

    def __init__(self) -> None:
        self.photos: dict[str, ProcessedPhoto] = {}
        self.puts = 0

    async def put(self, photo: ProcessedPhoto) -> str:
        if photo.sha256 not in self.photos:
            self.photos[photo.sha256] = photo
            self.puts += 1
        return photo.sha256

    async def get(self, photo_id: str) -> tuple[bytes, str] | None:
        photo = self.photos.get(photo_id)
        return None if photo is None else (photo.data, photo.content_type)

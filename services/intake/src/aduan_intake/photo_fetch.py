"""Photos a channel gives by URL or inline: fetched with size and time limits from allowed hosts."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx
from aduan_shared.logging import get_logger

from aduan_intake.photos import MAX_PHOTO_BYTES, MAX_PHOTOS

log = get_logger(__name__)

#: Where channels' media live (suffix match): X, Meta's CDNs, LAPOR!. A city adds its own.
DEFAULT_HOSTS = ("pbs.twimg.com", "ton.twitter.com", "fbcdn.net", "fbsbx.com", "lapor.go.id")


class PhotoFetcher:
    """Downloads channel media; a photo that cannot be had is skipped, never the report."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = DEFAULT_HOSTS,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._hosts = tuple(h.lower().lstrip(".") for h in allowed_hosts)
        self._client = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in {"https", "http"} and any(
            host == h or host.endswith("." + h) for h in self._hosts
        )

    async def fetch(self, url: str) -> bytes | None:
        """The bytes at `url` (at most MAX_PHOTO_BYTES), or None when refused or failed."""
        if not self.allowed(url):
            log.warning("photo_url_refused", host=urlsplit(url).hostname)
            return None
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    log.warning("photo_fetch_failed", status=response.status_code)
                    return None
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > MAX_PHOTO_BYTES:
                        log.warning("photo_too_large", url_host=urlsplit(url).hostname)
                        return None
                return bytes(data)
        except httpx.HTTPError as exc:
            log.warning("photo_fetch_failed", error=type(exc).__name__)
            return None

    async def gather(self, urls: Iterable[str], inline_base64: Iterable[str]) -> list[bytes]:
        """Up to MAX_PHOTOS photos: inline ones first, then fetched ones."""
        raws: list[bytes] = []
        for text in inline_base64:
            try:
                raws.append(base64.b64decode(text, validate=True))
            except (binascii.Error, ValueError):
                log.warning("photo_base64_invalid")
        for url in urls:
            if len(raws) >= MAX_PHOTOS:
                break
            if (data := await self.fetch(url)) is not None:
                raws.append(data)
        return raws[:MAX_PHOTOS]

    async def aclose(self) -> None:
        await self._client.aclose()

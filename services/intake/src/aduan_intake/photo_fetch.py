"""Photos a channel gives by URL or inline: fetched with size and time limits from allowed hosts."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpx
from aduan_shared.logging import get_logger
from aduan_shared.photos import MAX_PHOTO_BYTES, MAX_PHOTOS

log = get_logger(__name__)

#: Where channels' media live (suffix match): X, Meta's CDNs, LAPOR!. A city adds its own.
DEFAULT_HOSTS = ("pbs.twimg.com", "ton.twitter.com", "fbcdn.net", "fbsbx.com", "lapor.go.id")
#: The WhatsApp Cloud API: a media id resolves to a short-lived URL at `<graph>/<media-id>`.
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
_MEDIA_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


class PhotoFetcher:
    """Downloads channel media; a photo that cannot be had is skipped, never the report."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = DEFAULT_HOSTS,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        *,
        whatsapp_token: str = "",
        graph_url: str = DEFAULT_GRAPH_URL,
    ) -> None:
        self._hosts = tuple(h.lower().lstrip(".") for h in allowed_hosts)
        self._client = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._whatsapp_token = whatsapp_token
        self._graph_url = graph_url.rstrip("/")

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in {"https", "http"} and any(
            host == h or host.endswith("." + h) for h in self._hosts
        )

    async def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> bytes | None:
        """The bytes at `url` (at most MAX_PHOTO_BYTES), or None when refused or failed."""
        if not self.allowed(url):
            log.warning("photo_url_refused", host=urlsplit(url).hostname)
            return None
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
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

    async def fetch_whatsapp_media(self, media_id: str) -> bytes | None:
        """A WhatsApp Cloud API media id: `GET <graph>/<id>` (bearer token) names a URL on
        Meta's CDN, fetched with the same token. None without a token or on any failure."""
        if not self._whatsapp_token or not _MEDIA_ID.match(media_id):
            log.warning("whatsapp_media_skipped", reason="no token or malformed id")
            return None
        auth = {"Authorization": f"Bearer {self._whatsapp_token}"}
        try:
            response = await self._client.get(f"{self._graph_url}/{media_id}", headers=auth)
            url = response.json().get("url") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("whatsapp_media_lookup_failed", error=type(exc).__name__)
            return None
        if not isinstance(url, str):
            log.warning("whatsapp_media_lookup_failed", status=response.status_code)
            return None
        return await self.fetch(url, headers=auth)

    async def gather(
        self,
        urls: Iterable[str],
        inline_base64: Iterable[str],
        media_ids: Iterable[str] = (),
    ) -> list[bytes]:
        """Up to MAX_PHOTOS photos: inline ones first, then by URL, then WhatsApp media ids."""
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
        for media_id in media_ids:
            if len(raws) >= MAX_PHOTOS:
                break
            if (data := await self.fetch_whatsapp_media(media_id)) is not None:
                raws.append(data)
        return raws[:MAX_PHOTOS]

    async def aclose(self) -> None:
        await self._client.aclose()

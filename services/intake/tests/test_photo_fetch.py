"""Channel media fetched from a real HTTP server on loopback, with limits and a host allowlist."""

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aduan_intake.photo_fetch import PhotoFetcher
from aduan_shared.photos import MAX_PHOTO_BYTES
from PIL import Image


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()
WA_TOKEN = "wa-test-token"


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith(("/v21.0/", "/wa-media/")):
                self.whatsapp()
                return
            if self.path == "/slow.jpg":
                time.sleep(2)
            if self.path == "/missing.jpg":
                self.send_response(404)
                self.end_headers()
                return
            body = PHOTO if self.path != "/huge.jpg" else b"\xff" * (MAX_PHOTO_BYTES + 10)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(body)

        def whatsapp(self) -> None:
            """The Cloud API: a media id names a CDN URL; both need the bearer token."""
            if self.headers.get("Authorization") != f"Bearer {WA_TOKEN}":
                self.send_response(401)
                self.end_headers()
                return
            media_id = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/v21.0/") and media_id == "gone":
                self.send_response(404)
                self.end_headers()
                return
            if self.path.startswith("/v21.0/"):
                host = f"http://127.0.0.1:{self.server.server_address[1]}"
                body = json.dumps({"url": f"{host}/wa-media/{media_id}", "id": media_id})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(PHOTO)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def test_fetch_from_an_allowed_host(media_server: str) -> None:
    fetcher = PhotoFetcher(["127.0.0.1"], timeout_s=1)
    assert await fetcher.fetch(f"{media_server}/a.jpg") == PHOTO
    await fetcher.aclose()


async def test_refused_too_large_missing_and_slow_give_nothing(media_server: str) -> None:
    fetcher = PhotoFetcher(["127.0.0.1"], timeout_s=0.5)
    strict = PhotoFetcher(["pbs.twimg.com"], timeout_s=0.5)
    assert await strict.fetch(f"{media_server}/a.jpg") is None  # not an allowed host (SSRF)
    assert await strict.fetch("file:///etc/passwd") is None
    assert await fetcher.fetch(f"{media_server}/huge.jpg") is None
    assert await fetcher.fetch(f"{media_server}/missing.jpg") is None
    assert await fetcher.fetch(f"{media_server}/slow.jpg") is None
    await fetcher.aclose()
    await strict.aclose()


async def test_gather_takes_inline_then_urls_up_to_five(media_server: str) -> None:
    fetcher = PhotoFetcher(["127.0.0.1"], timeout_s=1)
    inline = [base64.b64encode(PHOTO).decode(), "not base64!!"]
    raws = await fetcher.gather([f"{media_server}/{i}.jpg" for i in range(8)], inline)
    assert len(raws) == 5 and all(r == PHOTO for r in raws)
    await fetcher.aclose()


def test_suffix_match_does_not_accept_lookalikes() -> None:
    fetcher = PhotoFetcher(["fbcdn.net"])
    assert fetcher.allowed("https://scontent.xx.fbcdn.net/v/t1/photo.jpg")
    assert not fetcher.allowed("https://evilfbcdn.net/photo.jpg")
    assert not fetcher.allowed("https://fbcdn.net.evil.example/photo.jpg")


async def test_whatsapp_media_ids_resolve_through_the_cloud_api(media_server: str) -> None:
    graph = f"{media_server}/v21.0"
    fetcher = PhotoFetcher(["127.0.0.1"], timeout_s=1, whatsapp_token=WA_TOKEN, graph_url=graph)
    assert await fetcher.fetch_whatsapp_media("1234567890") == PHOTO
    assert await fetcher.fetch_whatsapp_media("gone") is None  # unknown id
    assert await fetcher.fetch_whatsapp_media("../../etc/passwd") is None  # not an id
    raws = await fetcher.gather([], [], ["111", "222"])
    assert raws == [PHOTO, PHOTO]
    wrong = PhotoFetcher(["127.0.0.1"], timeout_s=1, whatsapp_token="wrong", graph_url=graph)
    untokened = PhotoFetcher(["127.0.0.1"], timeout_s=1, graph_url=graph)
    assert await wrong.fetch_whatsapp_media("111") is None
    assert await untokened.fetch_whatsapp_media("111") is None
    for f in (fetcher, wrong, untokened):
        await f.aclose()


async def test_whatsapp_media_url_off_the_allowlist_is_refused(media_server: str) -> None:
    graph = f"{media_server}/v21.0"  # the lookup answers a 127.0.0.1 URL, not an allowed host
    fetcher = PhotoFetcher(["fbsbx.com"], timeout_s=1, whatsapp_token=WA_TOKEN, graph_url=graph)
    assert await fetcher.fetch_whatsapp_media("111") is None
    await fetcher.aclose()

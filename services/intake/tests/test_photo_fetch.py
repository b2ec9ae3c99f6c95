"""Channel media fetched from a real HTTP server on loopback, with limits and a host allowlist."""

import base64
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aduan_intake.photo_fetch import PhotoFetcher
from aduan_intake.photos import MAX_PHOTO_BYTES
from PIL import Image


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
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

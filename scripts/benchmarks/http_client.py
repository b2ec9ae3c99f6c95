"""The notifier's HTTP client: the client's CPU per POST, httpx against aiohttp, side by side.

The notifier sends each citizen's and unit's message with one POST to a provider (SMS gateway,
WhatsApp, JAKI, units' webhooks), a few per report. Its senders used httpx; they use aiohttp
(`aduan_notifier.senders.base.post`). Both clients post the same JSON body to the same provider
stand-in, a minimal keep-alive HTTP/1.1 server in a process of its own, at 1, 8 and 32 requests
at once (the dispatcher's default concurrency is 8; it ran at 32 in the e2e section while it
sent with httpx, to keep up). Only the
client's process is measured (CPU seconds from getrusage).
"""

from __future__ import annotations

import asyncio
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from aduan_notifier.senders.base import HttpClient, post
from benchmarks.common import heading, note, ratio, status, table

PROVIDER = r"""
import asyncio, sys

async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 15\r\n\r\n{\"status\":\"ok\"}")
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=256)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""

BODY = (
    b'{"to":"+6281234567890","client_ref":"5f0c6a4e:reporter:r-1","text":"Laporan JKT-2026-0001'
    + b" sudah diterima dan diteruskan ke Kelurahan Bangka. " * 4
    + b'"}'
)
HEADERS = {"Authorization": "Bearer sms-key", "Content-Type": "application/json"}
CONCURRENCY = (1, 8, 32)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measure(
    send: Callable[[], Awaitable[None]], concurrency: int, n: int
) -> tuple[float, float]:
    """(client CPU ms per request, requests/s) for `n` sends, `concurrency` at once."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await send()

    await asyncio.gather(*(one() for _ in range(min(n, 200))))  # connections open, warm
    cpu, wall = _cpu(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return (_cpu() - cpu) / n * 1000, n / (time.perf_counter() - wall)


async def _httpx(url: str, concurrency: int, n: int) -> tuple[float, float]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=10, limits=limits, follow_redirects=False) as client:

        async def send() -> None:
            response = await client.post(url, content=BODY, headers=HEADERS)
            assert response.status_code == 200

        return await _measure(send, concurrency, n)


async def _aiohttp(url: str, concurrency: int, n: int) -> tuple[float, float]:
    client = HttpClient(timeout_s=10)
    try:

        async def send() -> None:
            assert await post(client, url, body=BODY, headers=HEADERS) == 200

        return await _measure(send, concurrency, n)
    finally:
        await client.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the provider stand-in did not listen on {port}")


def main(quick: bool = False) -> None:
    heading("notifier HTTP client — client CPU per POST to a provider, httpx vs aiohttp")
    n = 500 if quick else 3000
    port = _free_port()
    provider = subprocess.Popen([sys.executable, "-c", PROVIDER, str(port)])
    rows = []
    try:
        _wait_listening(port)
        url = f"http://127.0.0.1:{port}/sms/send"
        for concurrency in CONCURRENCY:
            status(f"http client: {n:,} POSTs, {concurrency} at once, httpx then aiohttp")
            hx_ms, hx_rate = asyncio.run(_httpx(url, concurrency, n))
            ai_ms, ai_rate = asyncio.run(_aiohttp(url, concurrency, n))
            rows.append([concurrency, hx_ms, ai_ms, ratio(hx_ms, ai_ms), hx_rate, ai_rate])
    finally:
        provider.kill()
        provider.wait()
    table(
        f"{n:,} POSTs of a {len(BODY)}-byte JSON body per row, keep-alive, one client process",
        [
            "at once",
            "httpx CPU ms/req",
            "aiohttp CPU ms/req",
            "httpx / aiohttp",
            "httpx req/s",
            "aiohttp req/s",
        ],
        rows,
    )
    note(
        "the notifier's senders use aiohttp (aduan_notifier.senders.base.post, measured here "
        "as the dispatcher calls it); httpx was their client until 2026-11-23"
    )

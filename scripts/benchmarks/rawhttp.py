"""A lean HTTP/1.1 keep-alive client for load generation (not for anything else).

httpx costs the load generator about 3 CPU ms a request; on a 2-core machine shared with the
system under test that is most of a core at 200 requests/s, and a short stall then snowballs in
the generator itself. This client writes pre-built request bytes on a pool of keep-alive
connections and reads only the status line, the headers and a Content-Length body.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawHttp:
    """POSTs JSON (or GETs) over up to `connections` keep-alive connections to one host."""

    def __init__(self, base_url: str, connections: int = 64) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._opened = 0
        self._max = connections

    async def _connection(
        self, fresh: bool = False
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """A free connection (reused: True), or a new one while fewer than the maximum are open."""
        if fresh or (self._free.empty() and self._opened < self._max):
            self._opened += 1
            return (*await asyncio.open_connection(self.host, self.port), False)
        return (*await self._free.get(), True)

    async def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Response:
        data = json.dumps(body, separators=(",", ":")).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n{head}\r\n"
        ).encode() + data
        return await self._exchange(request)

    async def get(self, path: str) -> Response:
        """GET `path` (uncompressed), reading the whole Content-Length body."""
        return await self._exchange(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        )

    async def _exchange(self, request: bytes) -> Response:
        reader, writer, reused = await self._connection()
        try:
            try:
                status_line = await self._send(reader, writer, request)
            except OSError:
                if not reused:
                    raise
                status_line = b""
            if not status_line and reused:  # the server closed it while idle (keep-alive timeout)
                writer.close()
                self._opened -= 1
                reader, writer, _ = await self._connection(fresh=True)
                status_line = await self._send(reader, writer, request)
            if not status_line:
                raise ConnectionResetError("the server closed the connection without answering")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            self._opened -= 1
            raise
        self._free.put_nowait((reader, writer))
        return Response(int(status_line.split()[1]), payload)

    @staticmethod
    async def _send(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> bytes:
        writer.write(request)
        return await reader.readline()

    async def aclose(self) -> None:
        while not self._free.empty():
            _, writer = self._free.get_nowait()
            writer.close()

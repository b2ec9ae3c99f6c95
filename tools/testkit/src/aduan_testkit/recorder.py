"""A small real HTTP server that records every request and checks its authentication: the
stand-in for an outside API (SMS gateway, WhatsApp, X, Meta, LAPOR!, JAKI, a unit's webhook).

It listens on loopback in a thread (so sync and async tests can use it), answers 401 to a
request that fails its `auth` check, and otherwise answers the next scripted status for requests
matching a script (`script(503, 503, 503, match="abc")`), else `status` (200).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it; header names are lower case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    authorized: bool
    status: int

    def json(self) -> Any:
        return json.loads(self.body)

    def contains(self, text: str) -> bool:
        return text in self.path or text.encode() in self.body


Auth = Callable[[Recorded], bool]


def bearer(token: str) -> Auth:
    """`Authorization: Bearer <token>`."""
    return lambda r: hmac.compare_digest(r.headers.get("authorization", ""), f"Bearer {token}")


def header_equals(name: str, value: str) -> Auth:
    return lambda r: hmac.compare_digest(r.headers.get(name.lower(), ""), value)


def query_equals(name: str, value: str) -> Auth:
    return lambda r: hmac.compare_digest(r.query.get(name, ""), value)


def hmac_sha256(secret: str, header: str = "X-Aduan-Signature") -> Auth:
    """`<header>: sha256=<hex HMAC-SHA256(secret, body)>`."""

    def check(r: Recorded) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), r.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(r.headers.get(header.lower(), ""), expected)

    return check


class RecordingServer:
    def __init__(
        self,
        name: str,
        auth: Auth | None = None,
        status: int = 200,
        response: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self._auth = auth
        self._status = status
        self._response = json.dumps(response or {"ok": True}).encode()
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._scripts: list[tuple[str, deque[int]]] = []
        self._always: list[tuple[str, int]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, f"{self.name} is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *statuses: int, match: str = "") -> None:
        """Answer the next requests containing `match` (path or body) with `statuses`."""
        with self._lock:
            self._scripts.append((match, deque(statuses)))

    def always(self, status: int, match: str = "") -> None:
        """Answer every request containing `match` with `status`."""
        with self._lock:
            self._always.append((match, status))

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def matching(self, text: str) -> list[Recorded]:
        return [r for r in self.requests if r.contains(text)]

    def wait_for(self, text: str, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        """The requests containing `text`, once there are at least `count` (AssertionError
        after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(text)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"{self.name}: {len(self.matching(text))} requests with {text!r}, wanted {count}"
        )

    def start(self) -> RecordingServer:
        server = _Server(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- serving ----------------------------------------------------------------------------

    def _answer(self, probe: Recorded) -> int:
        if not probe.authorized:
            return 401
        with self._lock:
            for match, statuses in self._scripts:
                if statuses and probe.contains(match):
                    return statuses.popleft()
            for match, status in self._always:
                if probe.contains(match):
                    return status
        return self._status

    def _record(self, method: str, target: str, headers: dict[str, str], body: bytes) -> int:
        parts = urlsplit(target)
        probe = Recorded(method, parts.path, dict(parse_qsl(parts.query)), headers, body, True, 0)
        if self._auth is not None and not self._auth(probe):
            probe = replace(probe, authorized=False)
        status = self._answer(probe)
        with self._lock:
            self._requests.append(replace(probe, status=status))
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            # keep-alive, as the real APIs: a client's pooled connection is reused, not one
            # TCP connection (and one server thread) per request
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = recorder._record(self.command, self.path, headers, body)
                payload = recorder._response if status < 400 else b'{"error": "scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone while its kept-alive connection waited (a killed notifier) is no
        error of the server's; anything else is printed as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def recording(name: str, auth: Auth | None = None) -> Iterator[RecordingServer]:
    """A started RecordingServer, stopped on exit."""
    server = RecordingServer(name, auth).start()
    try:
        yield server
    finally:
        server.stop()

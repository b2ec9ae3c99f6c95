"""Load generation against intake and a watcher noting when each case becomes visible as waiting."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from aduan_simulator import CATEGORY_MIX, Credentials, Shares
from aduan_simulator.channels import HttpSend, form_report
from aduan_simulator.complaints import ComplaintFactory
from aduan_simulator.places import Places
from benchmarks.common import Progress
from benchmarks.rawhttp import RawHttp
from pymongo import AsyncMongoClient

CASES_COLLECTION = "cases"  # disposition's collection (aduan_disposition.adapters.cases)


@dataclass
class Sent:
    """One POST /v1/reports: when it was due, when the 202 came, and its tracking code."""

    due: float
    accepted: float | None = None
    code: str | None = None
    error: str | None = None

    @property
    def latency(self) -> float | None:
        return None if self.accepted is None else self.accepted - self.due


def jaki_bodies(n: int, seed: int = 2024) -> list[dict[str, Any]]:
    """`n` JAKI report bodies from the traffic simulator (tools/simulator): categories in
    Jakarta's proportions, points drawn inside kelurahan weighted as the simulator weights them,
    its texts, public or private, with the reporter's name and phone as the app sends them. The
    photo share is 0: the lean client sends JSON only (intake's own section measures photos)."""
    places = Places.from_city()
    factory = ComplaintFactory(
        places,
        {"jaki": 1.0},
        dict(CATEGORY_MIX),
        Shares(photo=0.0),
        random.Random(seed),
        "bench",
    )
    credentials = Credentials("", {}, "", "", "")  # the body only: headers are the Intake's
    bodies = []
    for _ in range(n):
        send = form_report(factory.make("jaki"), credentials).send
        assert isinstance(send, HttpSend) and send.body is not None
        bodies.append(json.loads(send.body))
    return bodies


class Intake:
    """Posts JAKI report bodies in turn, each with a unique external_id: with the lean client
    `raw` when given (rawhttp: its CPU does not decide the latency it measures at hundreds of
    reports/s), else with httpx."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        api_key: str,
        bodies: Sequence[dict[str, Any]],
        on_accepted: Callable[[Sent], None],
        raw: RawHttp | None = None,
    ) -> None:
        self.client, self.url, self.bodies = client, url + "/v1/reports", bodies
        self.raw = raw
        self.on_accepted = on_accepted  # called at once with each 202 (the watcher starts then)
        self.headers = {"X-Api-Key": api_key}
        self.run_id = uuid.uuid4().hex[:8]
        self.count = 0

    def payload(self) -> dict[str, Any]:
        i, self.count = self.count, self.count + 1
        return {**self.bodies[i % len(self.bodies)], "external_id": f"bench-{self.run_id}-{i}"}

    async def send(self, due: float | None = None) -> Sent:
        sent = Sent(due if due is not None else time.perf_counter())
        try:
            if self.raw is not None:
                raw = await self.raw.post_json("/v1/reports", self.payload(), self.headers)
                code, body = raw.status, raw.json
            else:
                r = await self.client.post(self.url, json=self.payload(), headers=self.headers)
                code, body = r.status_code, r.json
            if code == 202:
                sent.accepted, sent.code = time.perf_counter(), body()["tracking_code"]
                self.on_accepted(sent)
            else:
                sent.error = f"HTTP {code}"
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
            sent.error = type(exc).__name__
        return sent

    async def sequential(self, n: int, progress: Progress) -> list[Sent]:
        out = []
        for _ in range(n):
            out.append(await self.send())
            progress.update()
        return out

    async def concurrent(self, n: int, workers: int, progress: Progress) -> list[Sent]:
        """`n` reports from `workers` clients, each sending its next one on its 202."""
        out: list[Sent] = []
        remaining = n

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                out.append(await self.send())
                progress.update()

        await asyncio.gather(*(worker() for _ in range(workers)))
        return out

    async def open_loop(
        self,
        rate: float,
        seconds: float,
        progress: Progress,
    ) -> list[Sent]:
        """Offer `rate` reports/s for `seconds`, each on schedule whatever the earlier ones do
        (latency counts from the scheduled instant, so a stall is not hidden)."""
        start, total = time.perf_counter() + 0.05, int(rate * seconds)
        tasks: list[asyncio.Task[Sent]] = []

        async def one(due: float) -> Sent:
            sent = await self.send(due)
            progress.update()
            return sent

        for i in range(total):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(due)))
        return list(await asyncio.gather(*tasks))


@dataclass
class Watcher:
    """Notes when each tracking code's case appears, and its state: polls disposition's
    collection for all pending codes in one query every `tick_s`; every `confirm_every`-th case
    found is then also read through the citizen's GET /v1/track/{code}, which must agree. (Each
    confirmation is an HTTP request and a query at disposition: confirming every case would load
    the platform with the instrument's own traffic, 14% of disposition's CPU at 100/s.)"""

    mongo_url: str
    database: str
    track: RawHttp  # disposition's HTTP API
    tick_s: float = 0.02
    confirm_every: int = 10
    pending: dict[str, float] = field(default_factory=dict)  # code → when its 202 came
    seen: dict[str, float] = field(default_factory=dict)  # code → when the case was found
    states: dict[str, str] = field(default_factory=dict)  # code → state found in the database
    tracked: dict[str, str] = field(default_factory=dict)  # code → state GET /v1/track gave
    queries: int = 0
    found: int = 0
    _confirming: set[asyncio.Task[None]] = field(default_factory=set)

    def watch(self, sent: Sent) -> None:
        if sent.code is not None and sent.accepted is not None and sent.code not in self.seen:
            self.pending[sent.code] = sent.accepted

    async def run(self) -> None:
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.mongo_url, directConnection=True
        )
        cases = mongo[self.database][CASES_COLLECTION]
        try:
            while True:
                await asyncio.sleep(self.tick_s)
                if not self.pending:
                    continue
                codes = list(self.pending)
                self.queries += 1
                found = [
                    (d["tracking_code"], d.get("state", "?"))
                    async for d in cases.find(
                        {"tracking_code": {"$in": codes}},
                        {"tracking_code": 1, "state": 1, "_id": 0},
                    )
                ]
                now = time.perf_counter()
                for code, state in found:
                    if self.pending.pop(code, None) is None:
                        continue
                    self.seen[code], self.states[code] = now, state
                    self.found += 1
                    if self.found % self.confirm_every == 0:
                        task = asyncio.create_task(self._confirm(code))
                        self._confirming.add(task)
                        task.add_done_callback(self._confirming.discard)
        finally:
            await mongo.close()

    async def _confirm(self, code: str) -> None:
        try:
            r = await self.track.get(f"/v1/track/{code}")
            self.tracked[code] = (
                r.json().get("state", "?") if r.status == 200 else f"HTTP {r.status}"
            )
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.tracked[code] = type(exc).__name__

    def e2e(self, sent: Sequence[Sent]) -> list[float]:
        """Seconds from 202 to the case being found, for the reports of `sent` that were found."""
        return [
            self.seen[s.code] - s.accepted
            for s in sent
            if s.code in self.seen and s.accepted is not None
        ]

    async def drain(self, codes: Sequence[str], limit_s: float, progress: Progress) -> bool:
        """Wait until every code of `codes` was found (and confirmed), at most `limit_s` s."""
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline:
            done = sum(c in self.seen for c in codes)
            progress.done = done
            progress.update(0)
            if done == len(codes) and not self._confirming:
                return True
            await asyncio.sleep(0.1)
        return False

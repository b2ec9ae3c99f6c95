"""The simulator: complaints built up front, sent open-loop at a rate, officers acting on some.

    result = await Simulator(SimConfig(credentials)).run(count=800, rate=10)
    result.accepted  # [Sent(channel, external_id, report_id, tracking_code, ...)]

Pacing is open-loop: report i is started at start + i / rate whatever the answers to earlier
ones (the way citizens send), so a slow platform shows as latency, not as a lower offered rate.
Payloads (photos, signatures) are built before the clock starts, so building never delays a
send. At most `max_in_flight` requests are unanswered; past that a send waits (counted as
`late`). A 429 or 503 is retried after its Retry-After, at most `retries` times.

Officers (`config.act`) take the cases to handle as they are opened, `config.officers` at a
time (a finite workforce, so acting never swamps disposition while reports still arrive).
"""

from __future__ import annotations

import asyncio
import math
import random
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aduan_shared.events import report_id_for, tracking_code_for

from aduan_simulator.channels import HttpSend, MailSend, Outgoing, build
from aduan_simulator.complaints import ComplaintFactory
from aduan_simulator.config import SimConfig
from aduan_simulator.officers import ActionFailed, Officers
from aduan_simulator.places import Places


class PlatformUnreachable(Exception):
    """Intake (or disposition, when acting) does not answer."""


@dataclass
class Sent:
    """One report as sent, and what became of it."""

    seq: int
    channel: str
    category: str
    external_id: str
    location_mode: str
    kelurahan_kode: str | None  # where it is, when the report says so (photo GPS aside)
    accepted: bool = False
    status: int = 0  # HTTP status, or the SMTP reply code
    report_id: str | None = None
    tracking_code: str | None = None
    latency_s: float = 0.0  # intake's answer time (the last try)
    sent_at: float = 0.0  # seconds after the run's start when it was sent (the first try)
    answered_at: float = 0.0  # seconds after the run's start when intake answered
    error: str | None = None
    retries: int = 0
    act: str | None = None  # "complete" / "schedule" when an officer is to act on it
    final_state: str | None = None  # after acting
    act_error: str | None = None


@dataclass
class RunResult:
    sent: list[Sent]
    duration_s: float  # the whole run, officers' actions included
    late: int = 0
    acted: dict[str, int] = field(default_factory=dict)

    @property
    def sending_s(self) -> float:
        """When the last report was sent (count / rate when the pacing held)."""
        return max((s.sent_at for s in self.sent), default=0.0)

    @property
    def answered_s(self) -> float:
        """When intake answered the last report."""
        return max((s.answered_at for s in self.sent), default=0.0)

    @property
    def offered_rate(self) -> float:
        """Reports per second sent: (n - 1) intervals over the sending time."""
        n = len(self.sent)
        return (n - 1) / self.sending_s if n > 1 and self.sending_s > 0 else float(n)

    @property
    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.accepted]

    @property
    def refused(self) -> list[Sent]:
        return [s for s in self.sent if not s.accepted]

    def per_channel(self) -> dict[str, tuple[int, int]]:
        """channel → (sent, accepted), busiest first."""
        sent = Counter(s.channel for s in self.sent)
        ok = Counter(s.channel for s in self.accepted)
        return {c: (n, ok[c]) for c, n in sent.most_common()}

    def latency(self, q: float) -> float:
        """The q-quantile (0..1) of intake's answer times, nearest rank; 0 without sends."""
        times = sorted(s.latency_s for s in self.sent if s.status)
        if not times:
            return 0.0
        return times[min(len(times) - 1, max(0, math.ceil(q * len(times)) - 1))]


class Simulator:
    """Sends simulated traffic to a running platform (see the module docstring)."""

    def __init__(self, config: SimConfig, places: Places | None = None) -> None:
        self.config = config
        self.places = places or Places.from_city()
        self.rng = random.Random(config.seed)
        self.run_id = config.run_id or uuid.uuid4().hex[:8]
        self._workforce = asyncio.Semaphore(config.officers)
        self.factory = ComplaintFactory(
            self.places,
            dict(config.channel_mix),
            dict(config.category_mix),
            config.shares,
            self.rng,
            self.run_id,
        )

    def prepare(self, count: int, channels: list[str] | None = None) -> list[Outgoing]:
        """`count` complaints in their channels' payloads (`channels` cycled when given)."""
        shares = self.config.shares
        out = []
        for i in range(count):
            complaint = self.factory.make(channels[i % len(channels)] if channels else None)
            smtp = self.rng.random() < shares.smtp
            out.append(build(complaint, self.config.credentials, smtp=smtp))
        return out

    async def check_reachable(self, client: httpx.AsyncClient) -> None:
        targets = [("intake", self.config.intake_url)]
        if self.config.act:
            targets.append(("disposition", self.config.disposition_url))
        for name, url in targets:
            try:
                r = await client.get(f"{url.rstrip('/')}/healthz", timeout=5)
            except httpx.HTTPError as exc:
                raise PlatformUnreachable(
                    f"{name} is not reachable at {url} ({type(exc).__name__}: {exc or 'no answer'})"
                    "; start the platform with `make run`"
                ) from exc
            if r.status_code != 200:
                raise PlatformUnreachable(f"{name} at {url} answers /healthz with {r.status_code}")

    async def run(
        self,
        count: int,
        rate: float,
        *,
        channels: list[str] | None = None,
        on_sent: Callable[[Sent], None] | None = None,
    ) -> RunResult:
        """Send `count` reports at `rate` per second; with `config.act`, officers handle a
        share of them. Raises PlatformUnreachable before sending anything if intake is down."""
        if rate <= 0 or count < 0:
            raise ValueError("rate must be positive and count not negative")
        cfg = self.config
        limits = httpx.Limits(max_connections=cfg.max_in_flight, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=cfg.timeout_s, limits=limits) as client:
            await self.check_reachable(client)  # before building the payloads
            outgoing = self.prepare(count, channels)
            plans = [self._plan() for _ in outgoing]
            officers = Officers(
                client, cfg.disposition_url, cfg.credentials.jwt_secret, cfg.case_wait_s
            )
            gate = asyncio.Semaphore(cfg.max_in_flight)
            self._workforce = asyncio.Semaphore(cfg.officers)
            tasks: list[asyncio.Task[Sent]] = []
            loop = asyncio.get_running_loop()
            start = loop.time()
            late = 0
            for i, (item, plan) in enumerate(zip(outgoing, plans, strict=True)):
                delay = start + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if gate.locked():
                    late += 1
                await gate.acquire()
                tasks.append(
                    asyncio.create_task(
                        self._one(client, officers, item, plan, gate, on_sent, start)
                    )
                )
            sent = list(await asyncio.gather(*tasks))
            duration = loop.time() - start
        acted = Counter(s.final_state or "failed" for s in sent if s.act and s.accepted)
        return RunResult(sent, duration, late, dict(acted))

    def _plan(self) -> str | None:
        shares = self.config.shares
        if not self.config.act or self.rng.random() >= shares.act:
            return None
        return "schedule" if self.rng.random() < shares.schedule else "complete"

    async def _one(
        self,
        client: httpx.AsyncClient,
        officers: Officers,
        item: Outgoing,
        plan: str | None,
        gate: asyncio.Semaphore,
        on_sent: Callable[[Sent], None] | None,
        start: float,
    ) -> Sent:
        c = item.complaint
        sent = Sent(
            c.seq,
            c.channel,
            c.category,
            item.external_id,
            c.location_mode,
            c.place.kelurahan.kode if c.location_mode != "none" else None,
            act=plan,
        )
        loop = asyncio.get_running_loop()
        sent.sent_at = loop.time() - start
        try:
            await self._deliver(client, item, sent)
        finally:
            gate.release()
            sent.answered_at = loop.time() - start
        if on_sent is not None:
            on_sent(sent)
        if plan and sent.accepted and sent.report_id:
            seed = self.rng.randrange(2**31)
            try:
                await asyncio.sleep(1.0)  # the case is opened within about a second
                async with self._workforce:
                    sent.final_state = await officers.handle(
                        sent.report_id, c.place, schedule=plan == "schedule", seed=seed
                    )
            except (ActionFailed, httpx.HTTPError) as exc:
                sent.act_error = str(exc) or type(exc).__name__
        return sent

    async def _deliver(self, client: httpx.AsyncClient, item: Outgoing, sent: Sent) -> None:
        for attempt in range(self.config.retries + 1):
            began = time.perf_counter()
            if isinstance(item.send, MailSend):
                await self._mail(item.send, sent)
            else:
                retry_after = await self._http(client, item.send, sent)
                if retry_after is not None and attempt < self.config.retries:
                    sent.retries += 1
                    await asyncio.sleep(retry_after)
                    continue
            sent.latency_s = time.perf_counter() - began
            break
        if sent.accepted and sent.report_id is None:  # SMTP answers no ids: they are derived
            rid = report_id_for(sent.channel, sent.external_id)
            sent.report_id = str(rid)
            sent.tracking_code = tracking_code_for(rid, self.config.credentials.tracking_prefix)

    async def _http(self, client: httpx.AsyncClient, send: HttpSend, sent: Sent) -> float | None:
        """Post; the seconds to wait before a retry (429/503), else None."""
        url = self.config.intake_url.rstrip("/") + send.path
        try:
            if send.form is not None:
                r = await client.post(url, data=send.form, files=send.files, headers=send.headers)
            else:
                r = await client.post(url, content=send.body, headers=send.headers)
        except httpx.HTTPError as exc:
            sent.error = f"{type(exc).__name__}: {exc}"
            return None
        sent.status = r.status_code
        if r.status_code in (429, 503):
            sent.error = r.text[:300]
            return min(30.0, float(r.headers.get("retry-after", "1") or 1))
        if r.status_code != 202:
            sent.error = r.text[:300]
            return None
        sent.error = None
        body: dict[str, Any] = r.json()
        reports = body.get("reports", [body])  # webhooks answer a list of reports
        if not reports:
            sent.error = f"intake made no report of it: {body}"
            return None
        sent.accepted = True
        sent.report_id = str(reports[0]["report_id"])
        sent.tracking_code = str(reports[0]["tracking_code"])
        return None

    async def _mail(self, mail: MailSend, sent: Sent) -> None:
        host, port = self.config.smtp

        def deliver() -> None:
            with smtplib.SMTP(host, port, timeout=self.config.timeout_s) as smtp:
                smtp.sendmail(mail.sender, list(mail.recipients), mail.raw)

        try:
            await asyncio.to_thread(deliver)
        except smtplib.SMTPResponseException as exc:
            sent.status, sent.error = exc.smtp_code, str(exc.smtp_error)
            return
        except (smtplib.SMTPException, OSError) as exc:
            sent.error = f"SMTP {host}:{port}: {type(exc).__name__}: {exc}"
            return
        sent.status, sent.accepted = 250, True

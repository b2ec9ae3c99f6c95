"""What a simulation needs: where the platform is, its credentials, and the traffic's shape."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from aduan_simulator.mix import CATEGORY_MIX, CHANNEL_MIX

DEFAULT_COMPLAINT_ADDRESS = "dki@jakarta.go.id"


@dataclass(frozen=True)
class Credentials:
    """The channels' secrets as intake knows them (config/dev.env in development)."""

    jwt_secret: str
    api_keys: dict[str, str]
    twitter_secret: str
    meta_secret: str
    sms_secret: str
    complaint_address: str = DEFAULT_COMPLAINT_ADDRESS
    tracking_prefix: str = "JKT"

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> Credentials:
        """From variables named as the services name them (AUTH_JWT_SECRET, INTAKE_…)."""

        def get(key: str) -> str:
            return env.get(key) or ""

        try:
            keys = json.loads(get("INTAKE_API_KEYS") or "{}")
            addresses = json.loads(get("INTAKE_COMPLAINT_ADDRESSES") or "[]")
        except ValueError as exc:
            raise ValueError(f"INTAKE_API_KEYS / INTAKE_COMPLAINT_ADDRESSES: {exc}") from exc
        return cls(
            jwt_secret=get("AUTH_JWT_SECRET"),
            api_keys={str(k): str(v) for k, v in keys.items()},
            twitter_secret=get("INTAKE_TWITTER_CONSUMER_SECRET"),
            meta_secret=get("INTAKE_META_APP_SECRET"),
            sms_secret=get("INTAKE_SMS_GATEWAY_SECRET"),
            complaint_address=addresses[0] if addresses else DEFAULT_COMPLAINT_ADDRESS,
            tracking_prefix=get("ADUAN_TRACKING_PREFIX") or "JKT",
        )

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        """A dotenv file (config/dev.env); variables set in the environment win, as for the
        services."""
        if not path.is_file():
            raise FileNotFoundError(f"no such env file: {path}")
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
        return cls.from_env({**values, **os.environ})


@dataclass(frozen=True)
class Shares:
    """Per-report probabilities (0..1) of what a complaint carries and what happens to it."""

    photo: float = 0.3  # a photo (JAKI, walk-in desks, Balai Warga, LAPOR!, e-mail)
    public: float = 0.4  # visibility public (channels with a form: JAKI, Balai Warga, walk-ins)
    contact: float = 0.8  # reporter contact on form channels and LAPOR! (else anonymous)
    unlocated: float = 0.03  # text channels: no place at all (the admin pool sorts it out)
    smtp: float = 0.7  # e-mail through SMTP (else the mail gateway's HTTP endpoint)
    act: float = 0.7  # with acting on: reports an officer handles (the rest keep SLA clocks)
    schedule: float = 0.3  # of handled reports: scheduled before being completed


@dataclass(frozen=True)
class SimConfig:
    """Everything `Simulator` reads; defaults are `make run`'s local platform."""

    credentials: Credentials
    intake_url: str = "http://127.0.0.1:8001"
    disposition_url: str = "http://127.0.0.1:8003"
    smtp: tuple[str, int] = ("127.0.0.1", 2525)
    seed: int | None = None
    act: bool = False
    channel_mix: Mapping[str, float] = field(default_factory=lambda: dict(CHANNEL_MIX))
    category_mix: Mapping[str, float] = field(default_factory=lambda: dict(CATEGORY_MIX))
    shares: Shares = field(default_factory=Shares)
    run_id: str | None = None  # part of every external id (default: random per run)
    max_in_flight: int = 512  # open loop, bounded: past this many unanswered, sends wait
    timeout_s: float = 30.0
    case_wait_s: float = 60.0  # acting: how long to wait for a case to be `waiting`
    officers: int = 8  # acting: cases handled at the same time (a finite workforce)
    retries: int = 3  # a 429 or 503 is retried after its Retry-After (at most this often)

"""Disposition settings (prefix `DISPOSITION_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field


class Settings(ServiceSettings):
    model_config = prefixed("DISPOSITION_")

    service_name: str = "disposition"
    http_port: int = 8003
    mongodb_database: str = "aduan_disposition"
    #: Off for a replica that only serves HTTP (and for tests that open cases themselves): it
    #: then joins no consumer group and never consumes `routed`.
    consume_routed: bool = True
    #: How long a transition request waits for its event to be acknowledged before answering
    #: anyway (the write is committed; the outbox keeps publishing in the background).
    publish_wait_s: float = Field(default=1.0, ge=0)
    sse_poll_s: float = Field(default=1.0, gt=0)  # versions of the followed cases, all streams
    sse_heartbeat_s: float = Field(default=15.0, gt=0)  # a comment line keeps proxies open
    sse_max_s: float = Field(default=1800.0, gt=0)  # then the client reconnects (Last-Event-ID)
    cases_gauge_interval_s: float = Field(default=30.0, gt=0)
    #: Other cases whose evidence is compared with a new completion's photos (those sharing a
    #: pHash band, at most this many).
    evidence_candidates: int = Field(default=2000, gt=0)

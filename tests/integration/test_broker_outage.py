"""Killing the broker or the database: 503s, never a false 202 or a false ready; then recovery."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest


def report() -> dict[str, Any]:
    return {
        "channel": "jaki",
        "external_id": f"outage-{uuid.uuid4()}",
        "description": "Lampu jalan mati",
        "location": {"lat": -6.2424, "lon": 106.8253},
    }


def wait_for_status(url: str, status: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=10).status_code
        except httpx.HTTPError:
            last = -1
        if last == status:
            return last
        time.sleep(0.5)
    pytest.fail(f"{url} answered {last}, not {status}, within {timeout}s")


def killable(server: Any, what: str, variable: str) -> Any:
    """The local server the test may kill; fail (never skip) when it is someone else's."""
    if server is None:
        pytest.fail(
            f"this test stops the {what}: run it against the local one (unset "
            f"{variable}) so the test may kill it",
            pytrace=False,
        )
    return server


def test_broker_down_means_503_and_readyz_503(platform: Any) -> None:
    kafka = killable(platform.servers.local_kafka, "broker", "KAFKA_BOOTSTRAP_SERVERS")
    headers = {"X-Api-Key": json.loads(platform.env["INTAKE_API_KEYS"])["jaki"]}
    intake = platform.url("intake")
    assert (
        httpx.post(f"{intake}/v1/reports", json=report(), headers=headers, timeout=15).status_code
        == 202
    )

    kafka.kill()
    try:
        refused = httpx.post(f"{intake}/v1/reports", json=report(), headers=headers, timeout=30)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"].isdigit()
        assert refused.headers["content-type"] == "application/problem+json"
        assert "broker" in refused.json()["detail"]
        wait_for_status(f"{intake}/readyz", 503)
        assert httpx.get(f"{intake}/readyz", timeout=10).json()["checks"]["kafka"] == "unreachable"
    finally:
        kafka.start()

    wait_for_status(f"{intake}/readyz", 200, timeout=90)
    deadline = time.monotonic() + 60
    status = 0
    while time.monotonic() < deadline and status != 202:
        status = httpx.post(
            f"{intake}/v1/reports", json=report(), headers=headers, timeout=30
        ).status_code
    assert status == 202


def test_database_down_turns_readyz_503_then_back(platform: Any) -> None:
    mongo = killable(platform.servers.local_mongo, "database", "MONGODB_URL")
    mongo.kill()
    try:
        for service in ("intake", "disposition", "analytics"):
            url = platform.url(service, "/readyz")
            wait_for_status(url, 503)
            assert httpx.get(url, timeout=10).json()["checks"] == {
                "kafka": "ok",
                "mongodb": "unreachable",
            }
    finally:
        mongo.start()
    for service in ("intake", "disposition", "analytics"):
        wait_for_status(platform.url(service, "/readyz"), 200, timeout=90)

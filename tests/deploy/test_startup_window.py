"""A pod started before Kafka gives up waiting (KAFKA_STARTUP_TIMEOUT_S) before the kubelet's
startup probe would kill it, so the reason is in its log (shared/src/aduan_shared/service.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aduan_devstack.services import SERVICES

NAMES = [spec.name for spec in SERVICES]


@pytest.mark.parametrize("values", ["default_docs", "production_docs"])
def test_the_broker_wait_ends_inside_the_startup_probe_window(
    values: str, request: pytest.FixtureRequest
) -> None:
    docs: list[dict[str, Any]] = request.getfixturevalue(values)
    for name in NAMES:
        (deployment,) = (
            d
            for d in docs
            if d["kind"] == "Deployment" and d["metadata"]["name"] == f"aduan-{name}"
        )
        (main,) = (
            c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name
        )
        env: dict[str, Any] = {}
        for source in main["envFrom"]:
            (config,) = (
                d
                for d in docs
                if d["kind"] == "ConfigMap"
                and d["metadata"]["name"] == source["configMapRef"]["name"]
            )
            env |= config["data"]
        wait = float(env["KAFKA_STARTUP_TIMEOUT_S"])
        probe = main["startupProbe"]
        window = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
        assert 0 < wait < window, f"{name}: waits {wait}s for Kafka, probe kills after {window}s"

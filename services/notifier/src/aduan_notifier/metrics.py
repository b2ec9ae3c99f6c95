"""The notifier's delivery metrics (`aduan_notifier_*`): outcomes per channel and template,
attempts, latency, breaker state and deliveries lost in a crash."""

from __future__ import annotations

from aduan_shared.metrics import ServiceMetrics

_STATES = {"closed": 0.0, "half_open": 0.5, "open": 1.0}


class DeliveryMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.deliveries = metrics.counter(
            "deliveries_total",
            "Deliveries finished, by outcome (sent, failed, gave_up)",
            ("channel", "template", "outcome"),
        )
        self.attempts = metrics.counter(
            "delivery_attempts_total",
            "Send attempts by result (ok, transient, permanent, error)",
            ("channel", "result"),
        )
        self.send_seconds = metrics.histogram(
            "send_seconds",
            "Time of one send attempt",
            ("channel",),
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.latency = metrics.histogram(
            "delivery_latency_seconds",
            "From the notification being recorded to its message being accepted by the channel",
            ("channel",),
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
        )
        self.breaker = metrics.gauge(
            "circuit_breaker_state", "Per channel: 0 closed, 0.5 half-open, 1 open", ("channel",)
        )
        self.lost = metrics.counter(
            "deliveries_lost_total",
            "Deliveries found `sending` after a crash, marked unknown and not resent",
        )

    def attempt(self, channel: str, result: str, seconds: float) -> None:
        self.attempts.labels(channel, result).inc()
        self.send_seconds.labels(channel).observe(seconds)

    def breaker_state(self, channel: str, state: str) -> None:
        self.breaker.labels(channel).set(_STATES.get(state, 0.0))

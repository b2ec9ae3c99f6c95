"""Where time goes: deltas of the services' Prometheus histograms (sum and count) over a phase."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, tuple[tuple[str, str], ...]]  # (histogram name, sorted labels without `le`)
Snapshot = dict[Key, tuple[float, float]]  # → (sum, count)
SKIPPED_ROUTES = ("/metrics", "/readyz", "/healthz")


def scrape(urls: dict[str, str]) -> Snapshot:
    """(sum, count) of every histogram series of every service (`urls`: name → base URL)."""
    snap: Snapshot = {}
    for base in urls.values():
        try:
            text = httpx.get(f"{base}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        for family in text_string_to_metric_families(text):
            if family.type != "histogram":
                continue
            for sample in family.samples:
                if not sample.name.endswith(("_sum", "_count")):
                    continue
                labels = tuple(sorted(sample.labels.items()))
                total, count = snap.get((family.name, labels), (0.0, 0.0))
                if sample.name.endswith("_sum"):
                    total = sample.value
                else:
                    count = sample.value
                snap[(family.name, labels)] = (total, count)
    return snap


def label_text(labels: tuple[tuple[str, str], ...]) -> str:
    return ",".join(v for k, v in labels if k != "status")


def deltas(before: Snapshot, after: Snapshot) -> dict[str, tuple[float, int]]:
    """'metric{labels}' → (mean ms, count) for every series that moved (health probes left out)."""
    out: dict[str, tuple[float, int]] = {}
    for key, (total, count) in sorted(after.items()):
        name, labels = key
        if any(v in SKIPPED_ROUTES for _, v in labels):
            continue
        old_total, old_count = before.get(key, (0.0, 0.0))
        n = int(count - old_count)
        if n > 0:
            short = name.removeprefix("aduan_").removesuffix("_seconds")
            out[f"{short}{{{label_text(labels)}}}"] = ((total - old_total) / n * 1000, n)
    return out

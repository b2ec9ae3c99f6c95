"""Public figures computed from counts (pure)."""

from __future__ import annotations

from typing import Any

from aduan_shared.events import ReportState


def summary(counts: dict[str, int]) -> dict[str, Any]:
    """Totals and the share of each state, like Jakarta's "96% selesai, 2% koordinasi, ..."."""
    total = sum(counts.values())
    states = []
    for state in ReportState:
        n = counts.get(state.value, 0)
        share = round(100 * n / total, 1) if total else 0.0
        states.append({"state": state.value, "label": state.label, "count": n, "share": share})
    return {"total": total, "states": states}

"""Public summary figures (pure)."""

from aduan_analytics.domain import summary


def test_shares_per_state_like_jakartas_page() -> None:
    result = summary({"done": 96, "coordination": 2, "waiting": 2})
    assert result["total"] == 100
    shares = {s["state"]: (s["count"], s["share"], s["label"]) for s in result["states"]}
    assert shares["done"] == (96, 96.0, "Selesai")
    assert shares["coordination"] == (2, 2.0, "Koordinasi")
    assert shares["rejected"] == (0, 0.0, "Ditolak")
    assert len(result["states"]) == 9


def test_empty_city_has_zero_shares() -> None:
    result = summary({})
    assert result["total"] == 0
    assert all(s["share"] == 0.0 for s in result["states"])

"""The small parts: pHash bands, If-Match, the live feed, the cases gauge, unit scopes."""

import asyncio
from typing import Any

import pytest
from aduan_disposition.access import can_see, list_scope
from aduan_disposition.domain import open_case
from aduan_disposition.evidence import DEFAULT_PHASH_THRESHOLD, hamming
from aduan_disposition.evidence_index import phash_bands
from aduan_disposition.live import LiveFeed
from aduan_disposition.metrics import CasesGauge, DispositionMetrics
from aduan_disposition.transition_body import PreconditionRequired, parse_if_match
from aduan_shared.auth import Principal
from aduan_shared.errors import Forbidden
from aduan_shared.metrics import ServiceMetrics
from hypothesis import given
from hypothesis import strategies as st

BANGKA = "kelurahan:31.74.03.1002"


@given(st.integers(0, 2**64 - 1), st.sets(st.integers(0, 63), max_size=DEFAULT_PHASH_THRESHOLD))
def test_hashes_within_the_threshold_share_a_band(value: int, flipped: set[int]) -> None:
    a = f"{value:016x}"
    b = f"{value ^ sum(1 << i for i in flipped):016x}"
    assert hamming(a, b) == len(flipped)
    assert set(phash_bands(a)) & set(phash_bands(b))


def test_bands_cover_the_hash_and_ignore_bad_ones() -> None:
    bands = phash_bands("ffffffffffffffff")
    assert len(bands) == DEFAULT_PHASH_THRESHOLD + 1
    widths = [int(b.split(":")[2], 16).bit_length() for b in bands]
    assert sum(widths) == 64
    assert phash_bands(None) == () and phash_bands("not-hex") == ()
    assert not set(phash_bands("0" * 16)) & set(phash_bands("f" * 16))


@pytest.mark.parametrize(
    ("header", "versions"),
    [('"3"', (3,)), ("3", (3,)), ('W/"3"', (3,)), ('"2", "3"', (2, 3)), ('"abc"', ())],
)
def test_if_match_names_versions(header: str, versions: tuple[int, ...]) -> None:
    assert parse_if_match(header) == versions


@pytest.mark.parametrize("header", [None, "", " ", "*"])
def test_if_match_is_required(header: str | None) -> None:
    with pytest.raises(PreconditionRequired) as err:
        parse_if_match(header)
    assert err.value.status == 428


async def test_live_feed_wakes_on_notify_and_on_a_polled_version() -> None:
    versions = {"JKT-A": 1}

    async def current(codes: Any) -> dict[str, int]:
        return {c: versions[c] for c in codes if c in versions}

    feed = LiveFeed(current, poll_s=0.01)
    with feed.watch("JKT-A") as wake, feed.watch("JKT-A") as other:
        assert feed.watched == 2
        await feed.poll()  # first sight of the version: wake (a harmless reload)
        wake.clear(), other.clear()
        await feed.poll()
        assert not wake.is_set()
        versions["JKT-A"] = 2  # another replica wrote
        await feed.poll()
        assert wake.is_set() and other.is_set()
        wake.clear()
        feed.notify("JKT-A")  # this replica wrote
        assert wake.is_set()
        await feed.start()
        wake.clear()
        versions["JKT-A"] = 3
        await asyncio.wait_for(wake.wait(), 2)
        await feed.stop()
    assert feed.watched == 0


async def test_the_cases_gauge_counts_by_state_and_unit_kind() -> None:
    rows = [("waiting", BANGKA, 2), ("waiting", "kelurahan:31.71.01.1001", 1)]
    rows += [("coordination", "crm-admin", 4), ("done", "sudin:dishub:31.74", 1)]

    async def counts() -> list[tuple[str, str, int]]:
        return rows

    service = ServiceMetrics("disposition")
    gauge = CasesGauge(counts, {}, DispositionMetrics(service), 30)
    assert await gauge.refresh() == {
        ("waiting", "kelurahan"): 3,
        ("coordination", "admin_pool"): 4,
        ("done", "sudin"): 1,
    }
    rows.pop()  # the done case is gone: its series drops to 0, not stale
    await gauge.refresh()
    sample = service.registry.get_sample_value
    assert sample("aduan_disposition_cases", {"state": "done", "unit_kind": "sudin"}) == 0
    assert sample("aduan_disposition_cases", {"state": "waiting", "unit_kind": "kelurahan"}) == 3


def officer(unit: str | None) -> Principal:
    return Principal("o", "O", frozenset({"unit_officer"}), unit)


def test_unit_scope(routed_event: Any, pool_event: Any) -> None:
    case = open_case(routed_event)
    assert can_see(officer(BANGKA), case) and not can_see(officer("kelurahan:x"), case)
    assert not can_see(Principal("i", "I", frozenset({"intake_officer"}), BANGKA), case)
    assert can_see(Principal("l", "L", frozenset({"leader"}), None), case)
    targeted = open_case(pool_event).model_copy(update={"coordination_target_id": BANGKA})
    assert can_see(officer(BANGKA), targeted)  # the named target may look before accepting

    assert list_scope(Principal("a", "A", frozenset({"crm_admin"}), None), None) == {}
    assert list_scope(officer(BANGKA), BANGKA) == {"unit_id": BANGKA}
    for who, unit in [(officer(BANGKA), "kelurahan:x"), (officer(None), None)]:
        with pytest.raises(Forbidden):
            list_scope(who, unit)
    with pytest.raises(Forbidden):
        list_scope(Principal("i", "I", frozenset({"intake_officer"}), BANGKA), None)

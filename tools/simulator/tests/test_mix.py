"""The traffic mix: tables that sum, name real channels and categories, and are respected."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

from aduan_intake.channels import DEFAULT_CHANNELS
from aduan_shared.cityconfig import load_city
from aduan_simulator.complaints import ComplaintFactory
from aduan_simulator.config import Shares
from aduan_simulator.mix import CATEGORY_MIX, CHANNEL_MIX, WeightedChoice, normalised
from aduan_simulator.places import DEFAULT_CITY_DIR, Places

DRAWS = 40_000


def within(observed: int, share: float, n: int) -> bool:
    """The count is within 5 standard deviations of a binomial(n, share) (or 3 draws)."""
    sd = math.sqrt(n * share * (1 - share))
    return abs(observed - n * share) <= max(5 * sd, 3)


def test_the_channel_mix_covers_the_13_channels_and_jaki_carries_about_nine_in_ten() -> None:
    thirteen = {c.id for c in DEFAULT_CHANNELS if c.id != "open311"}
    assert set(CHANNEL_MIX) == thirteen and len(thirteen) == 13
    assert math.isclose(sum(CHANNEL_MIX.values()), 1.0)
    assert CHANNEL_MIX["jaki"] == max(CHANNEL_MIX.values()) and 0.85 <= CHANNEL_MIX["jaki"] <= 0.95


def test_the_category_weights_name_jakartas_categories_with_roads_and_garbage_first() -> None:
    names = {c.name for c in load_city(DEFAULT_CITY_DIR).category_names()}
    assert set(CATEGORY_MIX) <= names
    assert set(CATEGORY_MIX) == names - {"Lainnya"}  # the classifier's default is not chosen
    shares = normalised(CATEGORY_MIX)
    assert math.isclose(sum(shares.values()), 1.0)
    top = sorted(shares, key=shares.__getitem__, reverse=True)[:5]
    assert top == ["Jalan", "Sampah", "Parkir Liar", "Saluran Air/Banjir", "Penerangan Jalan Umum"]


def test_weighted_draws_follow_the_table() -> None:
    rng = random.Random(7)
    for table in (CHANNEL_MIX, CATEGORY_MIX):
        choice = WeightedChoice(table)
        counts = Counter(choice.draw(rng) for _ in range(DRAWS))
        for key, share in normalised(table).items():
            assert within(counts[key], share, DRAWS), (key, counts[key], share * DRAWS)


def test_a_custom_mix_is_respected_and_zero_weights_never_drawn() -> None:
    rng = random.Random(3)
    choice = WeightedChoice({"twitter": 3.0, "email": 1.0, "lapor": 0.0})
    counts = Counter(choice.draw(rng) for _ in range(8000))
    assert counts["lapor"] == 0 and within(counts["twitter"], 0.75, 8000)


def test_the_factory_draws_channels_and_categories_in_jakartas_proportions() -> None:
    places = Places.from_city()
    n = 6000
    factory = ComplaintFactory(
        places, CHANNEL_MIX, CATEGORY_MIX, Shares(photo=0.0), random.Random(11), "t"
    )
    made = [factory.make() for _ in range(n)]
    channels = Counter(c.channel for c in made)
    categories = Counter(c.category for c in made)
    for key, share in CHANNEL_MIX.items():
        assert within(channels[key], share, n), (key, channels[key])
    for key, share in normalised(CATEGORY_MIX).items():
        assert within(categories[key], share, n), (key, categories[key])
    assert len({c.external_id for c in made}) == n


def test_the_same_seed_gives_the_same_traffic() -> None:
    places = Places.from_city(Path(DEFAULT_CITY_DIR))

    def texts(seed: int) -> list[tuple[str, str, str]]:
        f = ComplaintFactory(places, CHANNEL_MIX, CATEGORY_MIX, Shares(), random.Random(seed), "x")
        return [(c.channel, c.category, c.text) for c in (f.make() for _ in range(50))]

    assert texts(5) == texts(5) and texts(5) != texts(6)

"""The traffic mix: which channel a report comes from, and which category it is.

Both tables are weights (any positive numbers; they are normalised when drawn), documented here
and overridable through `SimConfig`. Sources of the proportions:

- Channels: Jakarta's CRM (Cepat Respon Masyarakat) publishes that JAKI (JakLapor) carries about
  nine reports in ten; the rest is shared by the Governor's X and social accounts, the SMS /
  WhatsApp number, e-mail, LAPOR! SP4N and the walk-in desks (Pendopo Balai Kota first).
- Categories: JAKI's most frequent complaints are damaged roads, garbage, illegal parking,
  drains and flooding and dark street lights, then public order, trees and public facilities;
  the long tail (health, schools, civil registry, fires…) is a few percent each or less.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

#: Share of reports per channel id (channels.py of intake), Jakarta's proportions.
CHANNEL_MIX: dict[str, float] = {
    "jaki": 0.900,
    "twitter": 0.025,
    "sms_whatsapp": 0.020,
    "facebook": 0.010,
    "email": 0.010,
    "lapor": 0.010,
    "leader_social": 0.008,
    "balai_kota": 0.004,
    "kelurahan": 0.004,
    "kecamatan": 0.003,
    "balai_warga": 0.003,
    "walikota": 0.002,
    "inspektorat": 0.001,
}

#: Weight per category name (config/cities/jakarta/categories.yaml), Jakarta's proportions (%).
CATEGORY_MIX: dict[str, float] = {
    "Jalan": 14.0,
    "Sampah": 12.0,
    "Parkir Liar": 11.0,
    "Saluran Air/Banjir": 10.0,
    "Penerangan Jalan Umum": 7.0,
    "Gangguan Ketenteraman dan Ketertiban": 7.0,
    "Pohon": 6.0,
    "Fasilitas Sosial/Umum": 5.0,
    "Arus Lalu Lintas": 4.0,
    "Pelanggaran Perda/Pergub": 4.0,
    "Gangguan dan Kebisingan": 3.0,
    "Perdagangan": 2.5,
    "Pekerja PPSU": 2.0,
    "Bantuan Sosial": 2.0,
    "Galian/Sisa Proyek": 2.0,
    "Bangunan dan Tata Ruang": 1.5,
    "Air Bersih/PAM": 1.5,
    "Kawasan Dilarang Merokok": 1.0,
    "BPJS": 1.0,
    "Jaringan Listrik": 1.0,
    "Kesehatan": 1.0,
    "Kependudukan/Adminduk": 1.0,
    "Pendidikan": 1.0,
    "Taman": 1.0,
    "Tenaga Kerja": 0.5,
    "Kebakaran": 0.5,
}

#: Residents per kota (BPS, Jakarta in figures 2024, rounded): the share of reports a kota gets;
#: within a kota a kelurahan's share follows its area (no per-kelurahan population is shipped).
KOTA_POPULATION: dict[str, int] = {
    "Jakarta Timur": 3_080_000,
    "Jakarta Barat": 2_470_000,
    "Jakarta Selatan": 2_240_000,
    "Jakarta Utara": 1_800_000,
    "Jakarta Pusat": 1_060_000,
    "Kepulauan Seribu": 29_000,
}

K = TypeVar("K")


def normalised(weights: Mapping[K, float]) -> dict[K, float]:
    """The weights as shares summing to 1; ValueError for a negative or all-zero table."""
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("at least one weight must be positive")
    return {k: w / total for k, w in weights.items()}


class WeightedChoice(Generic[K]):
    """Draws keys in proportion to their weights (cumulative table, one `random()` per draw)."""

    def __init__(self, weights: Mapping[K, float]) -> None:
        shares = normalised(weights)
        self.keys: Sequence[K] = [k for k, w in shares.items() if w > 0]
        self._cum: list[float] = []
        acc = 0.0
        for k in self.keys:
            acc += shares[k]
            self._cum.append(acc)

    def draw(self, rng: random.Random) -> K:
        x = rng.random() * self._cum[-1]
        lo, hi = 0, len(self._cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self._cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        return self.keys[lo]

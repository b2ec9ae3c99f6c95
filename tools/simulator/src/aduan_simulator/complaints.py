"""One simulated complaint, channel-independent: who, what, where, with which photo.

`ComplaintFactory` draws them from the mix tables with one seeded `random.Random`, so a seed
gives the same traffic every time (only the run id in the external ids differs).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from aduan_simulator.config import Shares
from aduan_simulator.mix import WeightedChoice
from aduan_simulator.photos import jpeg
from aduan_simulator.places import Place, Places
from aduan_simulator.texts import describe, maps_link, place_text

#: How the place reaches intake: coordinates in the payload, a maps link or the kelurahan's
#: name in the text, or not at all.
LocationMode = Literal["gps", "link", "named", "none"]

FORM_CHANNELS = frozenset(
    {"jaki", "balai_warga", "balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan"}
)
WALK_IN = frozenset({"balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan"})
#: Channels whose payloads can carry a photo the simulator can deliver (the social channels'
#: photos are URLs on X's or Meta's CDNs, which intake would fetch from the internet).
PHOTO_CHANNELS = FORM_CHANNELS | {"lapor", "email"}
#: How each channel gives the place: (mode, weight) — the app and the desks pick a point; on
#: social media and by message people name the kelurahan or share a maps link.
LOCATION_MODES: dict[str, dict[LocationMode, float]] = {
    "jaki": {"gps": 1.0},
    "balai_warga": {"gps": 1.0},
    **{c: {"gps": 1.0} for c in WALK_IN},
    "twitter": {"gps": 0.3, "named": 0.5, "link": 0.2},
    "facebook": {"gps": 0.3, "named": 0.5, "link": 0.2},
    "leader_social": {"gps": 0.2, "named": 0.6, "link": 0.2},
    "sms_whatsapp": {"named": 0.6, "link": 0.4},
    "email": {"named": 0.8, "link": 0.2},
    "lapor": {"gps": 0.7, "named": 0.3},
}
JAKARTA_TZ = ZoneInfo("Asia/Jakarta")
FIRST_NAMES = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Putri", "Joko", "Nur", "Rudi")
LAST_NAMES = ("Lestari", "Santoso", "Wijaya", "Hidayat", "Saputra", "Pratama", "Nasution")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str  # E.164, +62 8…
    email: str
    handle: str


@dataclass(frozen=True)
class Complaint:
    seq: int
    channel: str
    category: str
    text: str  # the description, with the place in words or as a link when so given
    place: Place  # where it is (told to intake as `location_mode` says; "none": not at all)
    location_mode: LocationMode
    photo: bytes | None
    public: bool
    contact: Contact | None  # None: anonymous (form channels and LAPOR! only)
    external_id: str
    created_at: datetime

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(lat, lon) sent in the payload, or None."""
        if self.location_mode != "gps":
            return None
        return self.place.lat, self.place.lon


def _contact(rng: random.Random) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    digits = "".join(str(rng.randrange(10)) for _ in range(8))
    handle = f"{first.lower()}{last.lower()[:3]}{rng.randrange(100)}"
    return Contact(f"{first} {last}", f"+62812{digits}", f"{handle}@contoh.co.id", handle)


class ComplaintFactory:
    """Draws complaints: channel and category by the mix, a place inside a kelurahan, text."""

    def __init__(
        self,
        places: Places,
        channel_mix: dict[str, float],
        category_mix: dict[str, float],
        shares: Shares,
        rng: random.Random,
        run_id: str,
    ) -> None:
        unknown = set(channel_mix) - set(LOCATION_MODES)
        if unknown:
            raise ValueError(f"unknown channels in the mix: {sorted(unknown)}")
        self.places = places
        self.channels = WeightedChoice(channel_mix)
        self.categories = WeightedChoice(category_mix)
        self.modes = {c: WeightedChoice(m) for c, m in LOCATION_MODES.items()}
        self.shares = shares
        self.rng = rng
        self.run_id = run_id
        self._seq = 0

    def make(self, channel: str | None = None) -> Complaint:
        """The next complaint (on `channel` when given, else drawn from the mix)."""
        rng, shares = self.rng, self.shares
        self._seq += 1
        channel = channel or self.channels.draw(rng)
        category = self.categories.draw(rng)
        place = self.places.sample(rng)
        mode: LocationMode = self.modes[channel].draw(rng)
        if channel not in FORM_CHANNELS and channel != "lapor" and rng.random() < shares.unlocated:
            mode = "none"
        where = ""
        if mode == "named":
            where = place_text(place, rng)
        elif mode == "link":
            where = f"lokasi: {maps_link(place, rng)}"
        now = datetime.now(UTC)
        photo = None
        if channel in PHOTO_CHANNELS and rng.random() < shares.photo:
            gps = (place.lat, place.lon)  # the phone knew, even if the reporter said nothing
            photo = jpeg(rng.randrange(2**31), gps=gps, taken=now.astimezone(JAKARTA_TZ))
        anonymous = channel in FORM_CHANNELS | {"lapor"} and rng.random() >= shares.contact
        return Complaint(
            seq=self._seq,
            channel=channel,
            category=category,
            text=describe(category, rng, where),
            place=place,
            location_mode=mode,
            photo=photo,
            public=channel in FORM_CHANNELS and rng.random() < shares.public,
            contact=None if anonymous else _contact(rng),
            external_id=f"sim-{self.run_id}-{self._seq}-{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}",
            created_at=now,
        )

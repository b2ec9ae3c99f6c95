"""The channel registry (DOMAIN.md "The 13 channels"): which channels exist and how they sign in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Auth = Literal["api_key", "officer_jwt", "public", "signature"]


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: Literal["app", "social", "email", "messaging", "walk_in", "web", "national", "api"]
    auth: Auth
    enabled: bool = True


WALK_IN = ("balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan")

DEFAULT_CHANNELS: tuple[Channel, ...] = (
    Channel("jaki", "JAKI (JakLapor)", "app", "api_key"),
    Channel("twitter", "X / Twitter @DKIJakarta", "social", "signature"),
    Channel("facebook", "Facebook Pemprov DKI", "social", "signature"),
    Channel("email", "E-mail dki@jakarta.go.id", "email", "api_key"),
    Channel("leader_social", "Media sosial Gubernur", "social", "signature"),
    Channel("sms_whatsapp", "SMS / WhatsApp 08111272206", "messaging", "signature"),
    Channel("balai_kota", "Pendopo Balai Kota", "walk_in", "officer_jwt"),
    Channel("inspektorat", "Kantor Inspektorat", "walk_in", "officer_jwt"),
    Channel("walikota", "Kantor Wali Kota", "walk_in", "officer_jwt"),
    Channel("kecamatan", "Kantor Camat", "walk_in", "officer_jwt"),
    Channel("kelurahan", "Kantor Lurah", "walk_in", "officer_jwt"),
    Channel("balai_warga", "Balai Warga", "web", "public"),
    Channel("lapor", "LAPOR! SP4N", "national", "api_key"),
    # Beside the 13: existing civic apps submit through Open311 GeoReport v2 (open311.py).
    Channel("open311", "Open311 GeoReport v2", "api", "api_key"),
)

#: Channels that submit through `POST /v1/reports` (the others post their native payloads).
FORM_CHANNELS = frozenset({"jaki", "balai_warga", *WALK_IN})


def channel_by_id(channels: tuple[Channel, ...], channel_id: str) -> Channel | None:
    return next((c for c in channels if c.id == channel_id), None)

"""Intake settings (prefix `INTAKE_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field, SecretStr


class Settings(ServiceSettings):
    model_config = prefixed("INTAKE_")

    service_name: str = "intake"
    http_port: int = 8001
    mongodb_database: str = "aduan_intake"
    #: API keys per channel, e.g. `INTAKE_API_KEYS={"jaki": "...", "lapor": "..."}`.
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    #: The reporter vault's public key (url-safe base64 X25519); intake can seal, never open.
    vault_public_key: str = Field(alias="ADUAN_VAULT_PUBLIC_KEY")
    #: Public channels (Balai Warga): reports per minute per client IP and per reporter contact.
    public_rate_per_minute: float = Field(default=6.0, gt=0)
    public_burst: int = Field(default=5, ge=1)
    #: Webhook secrets (X consumer secret, Meta app secret and verify token, SMS gateway HMAC key);
    #: a channel whose secret is unset refuses every request.
    twitter_consumer_secret: SecretStr = SecretStr("")
    #: SMTP listener for the complaint addresses (0: off).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=0, le=65535)
    #: Hosts (suffix match) channel photos may come from; empty: the defaults (X, Meta, LAPOR!).
    photo_url_hosts: tuple[str, ...] = ()
    #: The addresses citizens write to (e.g. ["dki@jakarta.go.id"]); empty accepts any.
    complaint_addresses: tuple[str, ...] = ()
    meta_app_secret: SecretStr = SecretStr("")
    #: WhatsApp Cloud API access token and Graph URL, to fetch photos sent as media ids.
    whatsapp_access_token: SecretStr = SecretStr("")
    whatsapp_graph_url: str = "https://graph.facebook.com/v21.0"
    meta_verify_token: SecretStr = SecretStr("")
    sms_gateway_secret: SecretStr = SecretStr("")

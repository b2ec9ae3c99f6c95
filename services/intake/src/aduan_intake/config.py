"""Intake settings (prefix `INTAKE_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTAKE_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "intake"
    http_port: int = 8001
    mongodb_database: str = "aduan_intake"
    #: API keys per channel, e.g. `INTAKE_API_KEYS={"jaki": "...", "lapor": "..."}`.
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    #: The reporter vault's public key (url-safe base64 X25519); intake can seal, never open.
    vault_public_key: str = Field(alias="ADUAN_VAULT_PUBLIC_KEY")

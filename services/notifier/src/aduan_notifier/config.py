"""Notifier settings (prefix `NOTIFIER_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFIER_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "notifier"
    http_port: int = 8005
    mongodb_database: str = "aduan_notifier"
    #: The reporter vault's private key: only the notifier can open sealed contacts.
    vault_private_key: SecretStr | None = Field(default=None, alias="ADUAN_VAULT_PRIVATE_KEY")

"""Notifier settings (prefix `NOTIFIER_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field, SecretStr


class Settings(ServiceSettings):
    model_config = prefixed("NOTIFIER_")

    service_name: str = "notifier"
    http_port: int = 8005
    mongodb_database: str = "aduan_notifier"
    #: The reporter vault's private key: only the notifier can open sealed contacts.
    vault_private_key: SecretStr | None = Field(default=None, alias="ADUAN_VAULT_PRIVATE_KEY")

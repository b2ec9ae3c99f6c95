"""Notifier settings (prefix `NOTIFIER_`): channels' endpoints and credentials, delivery policy."""

from __future__ import annotations

from pathlib import Path

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field, SecretStr

from aduan_notifier.templates import Language

#: Sends a second per channel, per notifier process (providers' limits; configurable).
DEFAULT_RATE_LIMITS = {
    "sms": 20.0,
    "whatsapp": 20.0,
    "x_dm": 1.0,
    "meta": 10.0,
    "email": 10.0,
    "lapor": 5.0,
    "jaki": 20.0,
    "unit_webhook": 10.0,
}


class Settings(ServiceSettings):
    model_config = prefixed("NOTIFIER_")

    service_name: str = "notifier"
    http_port: int = 8005
    mongodb_database: str = "aduan_notifier"
    #: Consumer group suffix (`aduan-<group>`); one per deployment of the notifier.
    consumer_group: str = "notifier"
    #: The reporter vault's private key: only the notifier can open sealed contacts.
    vault_private_key: SecretStr | None = Field(default=None, alias="ADUAN_VAULT_PRIVATE_KEY")
    #: Intake's database, whose `reporter_vault` collection the notifier reads (never writes).
    vault_database: str = "aduan_intake"
    #: Language of reporters' messages (`id` or `en`); a unit's comes from contacts.yaml.
    language: Language = "id"
    #: Units' contacts; default `<ADUAN_CITY_DIR>/contacts.yaml`.
    contacts_file: Path | None = None
    #: The verifier's unit id (units.yaml `verifier.id`).
    verifier_unit_id: str = "verifier"

    # --- channels: one left without its endpoint or credential is not used (its deliveries
    # are recorded `failed`, `channel_not_configured`) ---------------------------------------
    sms_url: str = ""
    sms_api_key: SecretStr = SecretStr("")
    whatsapp_graph_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_token: SecretStr = SecretStr("")
    whatsapp_phone_number_id: str = ""
    x_api_url: str = "https://api.x.com"
    x_bearer_token: SecretStr = SecretStr("")
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    meta_page_access_token: SecretStr = SecretStr("")
    meta_page_id: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "Aduan Jakarta <noreply@aduan.jakarta.go.id>"
    mail_domain: str = "aduan.jakarta.go.id"
    lapor_url: str = ""
    lapor_api_key: SecretStr = SecretStr("")
    jaki_webhook_url: str = ""
    jaki_webhook_secret: SecretStr = SecretStr("")
    unit_webhook_secret: SecretStr = SecretStr("")

    # --- delivery policy --------------------------------------------------------------------
    max_attempts: int = Field(default=5, ge=1)
    backoff_base_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    send_timeout_s: float = Field(default=10.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=60.0, gt=0)
    rate_limits: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_burst: float = Field(default=5.0, ge=1)
    dispatch_interval_s: float = Field(default=1.0, gt=0)
    dispatch_batch: int = Field(default=50, ge=1)
    dispatch_concurrency: int = Field(default=32, ge=1)
    #: A claim still `sending` after this long is taken as lost in a crash (marked `unknown`).
    lost_after_s: float = Field(default=300.0, gt=0)
    #: How long a reply waits for `report.received` (the id to thread or address it by).
    origin_wait_s: float = Field(default=120.0, ge=0)

    def contacts_path(self) -> Path | None:
        if self.contacts_file is not None:
            return self.contacts_file
        return self.city_dir / "contacts.yaml" if self.city_dir else None

"""Shared names are read without the service prefix, a service's own fields with it."""

import pytest
from aduan_shared.settings import AduanSettings, KafkaSettings, MongoSettings
from pydantic_settings import SettingsConfigDict


class DemoSettings(AduanSettings, KafkaSettings, MongoSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore", validate_by_name=True)
    http_port: int = 8999


def test_shared_and_prefixed_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://db:27017")
    monkeypatch.setenv("DEMO_HTTP_PORT", "9100")
    monkeypatch.setenv("HTTP_PORT", "1")  # unprefixed service field: ignored
    s = DemoSettings()
    assert s.kafka_bootstrap_servers == "kafka:9092"
    assert s.mongodb_url.get_secret_value() == "mongodb://db:27017"
    assert s.http_port == 9100


def test_defaults_match_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    s = DemoSettings()
    assert s.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert s.mongodb_url.get_secret_value() == "mongodb://127.0.0.1:27017"
    assert s.log_format == "console"

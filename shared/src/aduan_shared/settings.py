"""Settings mixins (pydantic-settings): the shared environment names of CONTRACTS.md.

Shared names (`KAFKA_BOOTSTRAP_SERVERS`, `MONGODB_URL`, `AUTH_*`, `ADUAN_CITY_DIR`, `LOG_*`) are
read without the service's prefix through explicit aliases; a service's own fields take its prefix
(`INTAKE_`, `GEO_ROUTER_`, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AduanSettings(BaseSettings):
    """Base of every service's settings: logging, city directory, HTTP listener."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True, frozen=True)

    service_name: str = "aduan"
    log_format: Literal["json", "console"] = Field(default="console", alias="LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    city_dir: Path | None = Field(default=None, alias="ADUAN_CITY_DIR")
    tracking_prefix: str = Field(default="JKT", alias="ADUAN_TRACKING_PREFIX")
    http_host: str = "127.0.0.1"
    http_port: int = 8000


class KafkaSettings(BaseSettings):
    """Kafka client settings; the producer is always idempotent with `acks=all`."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True, frozen=True)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    kafka_publish_timeout_s: float = Field(default=5.0, alias="KAFKA_PUBLISH_TIMEOUT_S", gt=0)
    kafka_ready_timeout_s: float = Field(default=2.0, alias="KAFKA_READY_TIMEOUT_S", gt=0)
    #: How often a service measures its consumer groups' lag and its DLQs (consumer_lag.py).
    kafka_lag_interval_s: float = Field(default=10.0, alias="KAFKA_LAG_INTERVAL_S", gt=0)
    #: How long a consumer may stay outside its group, or idle with messages waiting on its
    #: partitions, before its service restarts it (consumer_watch.py).
    kafka_consumer_stall_s: float = Field(default=60.0, alias="KAFKA_CONSUMER_STALL_S", gt=0)
    #: How long a service waits at start-up for an unreachable broker before it exits; 0 = for
    #: ever. Services and Kafka start in any order (service.py, `start_with_retry`).
    kafka_startup_timeout_s: float = Field(default=300.0, alias="KAFKA_STARTUP_TIMEOUT_S", ge=0)


class MongoSettings(BaseSettings):
    """MongoDB client settings; each service keeps its own database."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True, frozen=True)

    mongodb_url: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27017"), alias="MONGODB_URL"
    )
    mongodb_database: str = "aduan"
    mongodb_timeout_ms: int = Field(default=3000, alias="MONGODB_TIMEOUT_MS", gt=0)


class AuthSettings(BaseSettings):
    """JWT verification: HS256 with a shared secret (development) or RS256 via JWKS (production)."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True, frozen=True)

    auth_jwt_secret: SecretStr | None = Field(default=None, alias="AUTH_JWT_SECRET")
    auth_jwks_url: str | None = Field(default=None, alias="AUTH_JWKS_URL")
    auth_audience: str | None = Field(default=None, alias="AUTH_AUDIENCE")
    auth_issuer: str | None = Field(default=None, alias="AUTH_ISSUER")


class ServiceSettings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    """Base of a service's settings; subclasses set `model_config = prefixed("INTAKE_")`."""


def prefixed(env_prefix: str) -> SettingsConfigDict:
    """The settings config of a service whose own variables start with `env_prefix`."""
    return SettingsConfigDict(
        env_prefix=env_prefix, extra="ignore", validate_by_name=True, frozen=True
    )

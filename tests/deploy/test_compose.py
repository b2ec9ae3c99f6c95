"""deploy/compose.yaml: the workstation stack parses and holds what the issue asks for."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aduan_devstack.helm import go_binary
from aduan_devstack.kafka_setup import KAFKA_VERSION
from aduan_devstack.services import SERVICES, load_env_file
from aduan_shared.events import ALL_TOPICS

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
INFRA = {"mongo", "kafka", "kafka-topics", "prometheus", "grafana"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def test_the_stack(services: dict[str, Any]) -> None:
    assert set(services) == INFRA | {spec.name for spec in SERVICES}


def test_mongodb_is_a_replica_set_of_one(services: dict[str, Any]) -> None:
    mongo = services["mongo"]
    assert mongo["image"].startswith("mongo:7")
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "isWritablePrimary" in check
    for spec in SERVICES:
        env = services[spec.name]["environment"]
        assert env["MONGODB_URL"] == "mongodb://mongo:27017/?replicaSet=rs0"


def test_kafka_runs_kraft(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert env["CLUSTER_ID"]
    assert not [k for k in env if "ZOOKEEPER" in k]
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])


def test_topics_one_shot_creates_every_topic(services: dict[str, Any]) -> None:
    job = services["kafka-topics"]
    assert job["image"] == services["kafka"]["image"]
    assert job["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = job["command"][0]
    listed = re.search(r"for t in ([^;]+);", script)
    assert listed is not None
    assert tuple(listed.group(1).split()) == ALL_TOPICS
    assert '"$$t.dlq"' in script and "--if-not-exists" in script


def test_six_services_from_the_dockerfile(services: dict[str, Any]) -> None:
    for spec in SERVICES:
        svc = services[spec.name]
        build = svc["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
            REPO / "deploy" / "docker" / "Dockerfile"
        )
        assert build["args"] == {"SERVICE": spec.name}
        assert svc["image"] == f"aduan-{spec.name}:dev"
        assert f"{spec.port}:{spec.port}" in svc["ports"]
        check = " ".join(svc["healthcheck"]["test"])
        assert f"http://127.0.0.1:{spec.port}/readyz" in check
        assert svc["environment"][f"{spec.env_prefix}HTTP_HOST"] == "0.0.0.0"
        assert svc["depends_on"]["mongo"]["condition"] == "service_healthy"
        assert svc["depends_on"]["kafka-topics"]["condition"] == ("service_completed_successfully")
        assert svc["read_only"] is True and svc["user"] == "10001:10001"
        assert (DEPLOY / svc["env_file"]).is_file()
        assert (DEPLOY / svc["volumes"][0].split(":")[0]).is_dir()
    assert "2525:2525" in services["intake"]["ports"]


def test_vault_private_key_only_in_the_notifier(services: dict[str, Any]) -> None:
    dev = load_env_file(REPO / "config" / "dev.env")
    assert dev["ADUAN_VAULT_PRIVATE_KEY"]
    for spec in SERVICES:
        env = services[spec.name]["environment"]
        if spec.name == "notifier":
            assert "ADUAN_VAULT_PRIVATE_KEY" not in env  # dev.env's value stays
        else:
            assert env["ADUAN_VAULT_PRIVATE_KEY"] == ""


def test_required_settings_come_from_dev_env_or_compose(services: dict[str, Any]) -> None:
    dev = load_env_file(REPO / "config" / "dev.env")
    for spec in SERVICES:
        module = importlib.import_module(f"aduan_{spec.name.replace('-', '_')}.config")
        fields = module.Settings.model_fields
        required = {
            str(f.alias or f"{spec.env_prefix}{n.upper()}")
            for n, f in fields.items()
            if f.is_required()
        }
        given = {k for k, v in (dev | services[spec.name]["environment"]).items() if v}
        assert required <= given, f"{spec.name} lacks {required - given}"


def test_prometheus_scrapes_the_six(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    mount = next(v for v in prometheus["volumes"] if v.startswith("./prometheus:"))
    config_in_container = next(
        c.split("=", 1)[1] for c in prometheus["command"] if c.startswith("--config.file=")
    )
    config = DEPLOY / "prometheus" / Path(config_in_container).relative_to(mount.split(":")[1])
    scrape = yaml.safe_load(config.read_text())["scrape_configs"]
    targets = {t for job in scrape for s in job["static_configs"] for t in s["targets"]}
    assert targets == {f"{spec.name}:{spec.port}" for spec in SERVICES}


def test_grafana_is_provisioned(services: dict[str, Any]) -> None:
    volumes = dict(v.rsplit(":", 1)[0].split(":") for v in services["grafana"]["volumes"][:2])
    provisioning = DEPLOY / "grafana" / "provisioning"
    assert volumes["./grafana/provisioning"] == "/etc/grafana/provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert sources["datasources"][0]["url"] == "http://prometheus:9090"
    assert sources["datasources"][0]["uid"] == "prometheus"
    providers = yaml.safe_load((provisioning / "dashboards" / "aduan.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == volumes["./grafana/dashboards"]
    assert (DEPLOY / "grafana" / "dashboards").is_dir()


def test_docker_compose_config_where_the_client_has_compose() -> None:
    """`docker compose config` validates against compose's own schema, where it exists."""
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and (
            subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        ).returncode
        == 0
    )
    if not has_compose:
        print("docker compose is not installed here: the YAML checks above stand alone")
        return
    assert docker is not None
    proc = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project as compose itself loads it (compose-go: schema, interpolation, merge keys)."""
    go = go_binary()
    if go is None:
        pytest.fail("composecheck needs Go (https://go.dev/doc/install): `go` was not found")
    binary = tmp_path_factory.mktemp("composecheck") / "composecheck"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=Path(__file__).parent / "composecheck", capture_output=True, text=True,
        check=False, timeout=540, env={**os.environ, "GOFLAGS": "-buildvcs=false -mod=readonly"},
    )  # fmt: skip
    assert build.returncode == 0, f"building composecheck failed: {build.stderr[-2000:]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADUAN_", "COMPOSE_"))}
    proc = subprocess.run(
        [str(binary), str(COMPOSE)], capture_output=True, text=True, check=False, timeout=60,
        env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded: dict[str, Any] = yaml.safe_load(proc.stdout)
    return loaded


def test_compose_loads_it_as_intended(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert set(services) == INFRA | {spec.name for spec in SERVICES}
    for spec in SERVICES:
        svc = services[spec.name]
        assert Path(svc["build"]["context"]) == REPO
        assert svc["build"]["args"] == {"SERVICE": spec.name}
        key = svc["environment"]["ADUAN_VAULT_PRIVATE_KEY"]
        assert bool(key) == (spec.name == "notifier"), spec.name  # dev.env's only there
        assert svc["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        city, boundaries = (Path(v["source"]) for v in svc["volumes"][:2])
        assert (city / "city.yaml").is_file()
        assert boundaries == REPO.parent / "shared" / "data" / "jakarta"
    script = services["kafka-topics"]["command"][0]
    assert 'for name in "$t" "$t.dlq"' in script  # $$ escapes interpolation

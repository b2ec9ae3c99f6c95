"""The Helm chart: lint, render with the default and production values, and check the manifests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aduan_devstack.services import SERVICES
from aduan_shared.events import ALL_DLQ_TOPICS, ALL_TOPICS

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "aduan"
PRODUCTION = CHART / "values-production.yaml"
NAMES = [spec.name for spec in SERVICES]
PORTS = {spec.name: spec.port for spec in SERVICES}
PREFIXES = {spec.name: spec.env_prefix for spec in SERVICES}
#: Read by the shared code from os.environ rather than through a Settings field.
EXTRA_ENV = {"ADUAN_BOUNDARIES_DIR", "PYTHONUNBUFFERED"}

Docs = list[dict[str, Any]]


@pytest.fixture(params=["default", "production"])
def docs(request: pytest.FixtureRequest) -> Docs:
    fixture = "default_docs" if request.param == "default" else "production_docs"
    found: Docs = request.getfixturevalue(fixture)
    return found


def find(docs: Docs, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def one(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    found = find(docs, kind, name)
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]


def container(docs: Docs, service: str) -> dict[str, Any]:
    pod = one(docs, "Deployment", f"aduan-{service}")["spec"]["template"]["spec"]
    main = [c for c in pod["containers"] if c["name"] == service]
    assert len(main) == 1
    return main[0]


def environment(docs: Docs, service: str) -> dict[str, Any]:
    """Every variable the service's container gets: its ConfigMap (envFrom) then `env`."""
    env: dict[str, Any] = {}
    main = container(docs, service)
    for source in main["envFrom"]:
        env |= one(docs, "ConfigMap", source["configMapRef"]["name"])["data"]
    for var in main.get("env", []):
        env[var["name"]] = var.get("value", var.get("valueFrom"))
    return env


def settings_class(service: str) -> Any:
    return importlib.import_module(f"aduan_{service.replace('-', '_')}.config").Settings


def env_name(service: str, name: str, field: Any) -> str:
    return str(field.alias or f"{PREFIXES[service]}{name.upper()}")


# --- helm lint and template --------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION)]], ids=["default", "production"])
def test_helm_lint_passes(run_helm: Callable[..., Any], values: list[str]) -> None:
    proc = run_helm("lint", "--strict", "{chart}", *values)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_every_service_has_its_objects(docs: Docs) -> None:
    for name in NAMES:
        for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap"):
            one(docs, kind, f"aduan-{name}")
        pod = one(docs, "Deployment", f"aduan-{name}")["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == f"aduan-{name}"


def test_probes_ports_and_resources(docs: Docs) -> None:
    for name in NAMES:
        main = container(docs, name)
        http = [p for p in main["ports"] if p["name"] == "http"]
        assert http == [{"name": "http", "containerPort": PORTS[name], "protocol": "TCP"}]
        assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
        for bound in ("requests", "limits"):
            assert set(main["resources"][bound]) >= {"cpu", "memory"}, (name, bound)
        service = one(docs, "Service", f"aduan-{name}")["spec"]
        assert service["ports"][0]["port"] == PORTS[name]
        assert service["ports"][0]["targetPort"] == "http"


def test_security_context(docs: Docs) -> None:
    for deployment in find(docs, "Deployment") + find(docs, "Job"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for c in pod["containers"] + pod.get("initContainers", []):
            ctx = c["securityContext"]
            assert ctx["runAsNonRoot"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["capabilities"] == {"drop": ["ALL"]}
            assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            if c in pod["containers"]:
                assert tmp, f"{c['name']}: no writable /tmp"
                volume = next(v for v in pod["volumes"] if v["name"] == tmp[0]["name"])
                assert "emptyDir" in volume


def test_required_settings_are_provided(docs: Docs) -> None:
    for name in NAMES:
        env = environment(docs, name)
        fields = settings_class(name).model_fields
        required = {env_name(name, n, f) for n, f in fields.items() if f.is_required()}
        assert required <= set(env), f"{name} lacks {required - set(env)}"


def test_every_variable_names_a_setting(docs: Docs) -> None:
    """A misspelt variable would be ignored silently (extra="ignore"): none may be."""
    for name in NAMES:
        fields = settings_class(name).model_fields
        known = {env_name(name, n, f) for n, f in fields.items()} | EXTRA_ENV
        assert set(environment(docs, name)) <= known, set(environment(docs, name)) - known


def test_settings_load_from_the_rendered_environment(
    docs: Docs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain values parse, and the service listens on all interfaces on its container port."""
    dev = dict(
        line.split("=", 1)
        for line in (REPO / "config" / "dev.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    for name in NAMES:
        env = environment(docs, name)
        for key, value in env.items():
            monkeypatch.setenv(key, value if isinstance(value, str) else dev.get(key, "x"))
        settings = settings_class(name)()
        assert settings.http_host == "0.0.0.0"
        assert settings.http_port == PORTS[name]
        for key in env:
            monkeypatch.delenv(key)


def test_infrastructure_endpoints(docs: Docs, production_docs: Docs) -> None:
    for name in NAMES:
        env = environment(docs, name)
        assert env["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9092")
        assert "MONGODB_URL" in env
        assert env["ADUAN_CITY_DIR"] == "/etc/aduan/city"
    prod = environment(production_docs, "disposition")
    assert prod["KAFKA_BOOTSTRAP_SERVERS"].startswith("aduan-kafka-kafka-bootstrap.")
    assert prod["MONGODB_URL"]["secretKeyRef"]["key"] == "connectionString.standard"
    assert prod["AUTH_JWKS_URL"].startswith("https://")
    assert "AUTH_JWT_SECRET" not in prod


def test_vault_private_key_only_in_the_notifier(docs: Docs) -> None:
    holders = {n for n in NAMES if "ADUAN_VAULT_PRIVATE_KEY" in environment(docs, n)}
    assert holders == {"notifier"}
    assert "ADUAN_VAULT_PUBLIC_KEY" in environment(docs, "intake")
    secret = environment(docs, "notifier")["ADUAN_VAULT_PRIVATE_KEY"]["secretKeyRef"]
    assert secret["name"] == "aduan-vault-private"
    for cm in find(docs, "ConfigMap"):
        assert "ADUAN_VAULT_PRIVATE_KEY" not in (cm.get("data") or {})


def test_hpa_only_where_allowed(docs: Docs, values: dict[str, Any]) -> None:
    partitions = values["topics"]["partitions"]
    for hpa in find(docs, "HorizontalPodAutoscaler"):
        service = hpa["metadata"]["name"].removeprefix("aduan-")
        scaling = values["services"][service]["scaling"]
        assert scaling["multipleReplicas"], service
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"aduan-{service}"
        assert hpa["spec"]["minReplicas"] >= 1
    for name in NAMES:
        deployment = one(docs, "Deployment", f"aduan-{name}")
        if not values["services"][name]["scaling"]["multipleReplicas"]:
            assert deployment["spec"]["replicas"] == 1
    assert partitions >= 1


def test_production_scales_out(production_docs: Docs) -> None:
    hpas = {h["metadata"]["name"] for h in find(production_docs, "HorizontalPodAutoscaler")}
    assert {"aduan-intake", "aduan-disposition", "aduan-geo-router"} <= hpas
    assert len(find(production_docs, "ServiceMonitor")) == len(NAMES)
    job = one(production_docs, "Job", "aduan-topics")
    env = {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REPLICATION"] == "3"


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            [
                "services.sla-monitor.scaling.multipleReplicas=false",
                "services.sla-monitor.hpa.enabled=true",
            ],
            "an HPA is not allowed",
        ),
        (
            ["services.analytics.scaling.multipleReplicas=false", "services.analytics.replicas=3"],
            "must run as a single replica",
        ),
        (
            ["services.geo-router.hpa.enabled=true", "services.geo-router.hpa.maxReplicas=12"],
            "replicas beyond the partition count stay idle",
        ),
        (["services.intake.vault=private"], "only the notifier may hold"),
        (["city.boundaries.source=nfs"], "city.boundaries.source must be"),
    ],
    ids=["hpa-forbidden", "replicas-forbidden", "past-partitions", "vault-key", "boundaries"],
)
def test_invalid_values_fail(
    run_helm: Callable[..., Any], tmp_path: Path, settings: list[str], message: str
) -> None:
    invalid = tmp_path / "invalid.yaml"
    lines = []
    for setting in settings:  # written as a values file, as an operator would
        path, value = setting.split("=")
        *parents, leaf = path.split(".")
        lines.append((parents, leaf, value))
    invalid.write_text(_nested_yaml(lines))
    proc = run_helm("template", "aduan", "{chart}", "-f", invalid)
    assert proc.returncode != 0
    assert message in proc.stderr


def _nested_yaml(lines: list[tuple[list[str], str, str]]) -> str:
    import yaml

    tree: dict[str, Any] = {}
    for parents, leaf, value in lines:
        node = tree
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = yaml.safe_load(value)
    return str(yaml.safe_dump(tree))


def test_smtp_exposed_for_intake(docs: Docs, run_helm: Callable[..., Any]) -> None:
    smtp = one(docs, "Service", "aduan-intake-smtp")["spec"]
    assert smtp["type"] == "LoadBalancer"
    assert smtp["ports"] == [{"name": "smtp", "port": 25, "targetPort": "smtp", "protocol": "TCP"}]
    ports = container(docs, "intake")["ports"]
    assert {"name": "smtp", "containerPort": 2525, "protocol": "TCP"} in ports
    env = environment(docs, "intake")
    assert (env["INTAKE_SMTP_HOST"], env["INTAKE_SMTP_PORT"]) == ("0.0.0.0", "2525")
    proc = run_helm(
        "template", "aduan", "{chart}",
        "--set", "services.intake.smtp.service.type=NodePort",
        "--set", "services.intake.smtp.service.nodePort=30025",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "type: NodePort" in proc.stdout and "nodePort: 30025" in proc.stdout


def test_topic_list_equals_the_events_module(values: dict[str, Any]) -> None:
    assert tuple(values["topics"]["names"]) == ALL_TOPICS
    assert values["topics"]["dlq"] is True


def test_topic_job_is_a_hook_creating_every_topic(docs: Docs) -> None:
    job = one(docs, "Job", "aduan-topics")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    created = {
        line.split()[1].strip('"') for line in script.splitlines() if line.startswith("ensure ")
    }
    assert created == set(ALL_TOPICS) | set(ALL_DLQ_TOPICS)


def test_topic_job_script_runs(default_docs: Docs, tmp_path: Path) -> None:
    """The rendered script against a stand-in kafka-topics.sh that records its calls."""
    import subprocess

    job = one(default_docs, "Job", "aduan-topics")
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    calls = tmp_path / "calls"
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text(f'#!/bin/bash\necho "$@" >> {calls}\necho "Topic: t\tPartitionCount: 1"\n')
    stub.chmod(0o755)
    script = script.replace("/opt/kafka/bin/kafka-topics.sh", str(stub))
    proc = subprocess.run(
        ["bash", "-ec", script],
        env={"BOOTSTRAP": "kafka:9092", "REPLICATION": "3", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    creates = [c for c in calls.read_text().splitlines() if "--create" in c]
    assert len(creates) == len(ALL_TOPICS) * 2
    assert all("--replication-factor 3" in c and "--if-not-exists" in c for c in creates)
    assert "--partitions 6" in creates[0]
    assert "has 1 partitions, 6 asked" in proc.stdout


def test_city_configuration_and_boundaries(docs: Docs) -> None:
    city = one(docs, "ConfigMap", "aduan-city")["data"]
    for path in (REPO / "config" / "cities" / "jakarta").glob("*.yaml"):
        assert city[path.name] == path.read_text(), path.name
    pod = one(docs, "Deployment", "aduan-geo-router")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["boundaries"]
    assert environment(docs, "geo-router")["ADUAN_BOUNDARIES_DIR"] == "/etc/aduan/boundaries"


def test_boundaries_from_a_volume_claim(render: Callable[..., Docs]) -> None:
    docs = render("--set", "city.boundaries.source=pvc")
    pod = one(docs, "Deployment", "aduan-geo-router")["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    volume = next(v for v in pod["volumes"] if v["name"] == "boundaries")
    assert volume["persistentVolumeClaim"] == {"claimName": "aduan-boundaries", "readOnly": True}


def test_ingress_routes_public_endpoints(docs: Docs) -> None:
    ingress = one(docs, "Ingress", "aduan-public")
    backends = {
        (rule["host"], path["path"]): path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    targets = set(backends.values())
    assert {"aduan-intake", "aduan-analytics"} <= targets
    assert not any(p in {"/metrics", "/docs"} for _, p in backends)


def test_production_ingress_has_tls(production_docs: Docs) -> None:
    ingress = one(production_docs, "Ingress", "aduan-public")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}


def test_disruption_budgets_never_block_a_drain(docs: Docs) -> None:
    hpas = {h["metadata"]["name"]: h["spec"] for h in find(docs, "HorizontalPodAutoscaler")}
    budgets = find(docs, "PodDisruptionBudget")
    assert budgets
    for pdb in budgets:
        name = pdb["metadata"]["name"]
        deployment = one(docs, "Deployment", name)["spec"]
        fewest = hpas[name]["minReplicas"] if name in hpas else deployment["replicas"]
        assert pdb["spec"]["minAvailable"] < fewest, name


def test_the_packaged_chart_carries_the_linked_files(
    run_helm: Callable[..., Any], default_docs: Docs, tmp_path: Path
) -> None:
    """`helm package` stores what files/ links to, so a chart from a registry renders the same."""
    proc = run_helm("package", "{chart}", "-d", tmp_path)
    assert proc.returncode == 0, proc.stderr
    (package,) = tmp_path.glob("aduan-*.tgz")
    rendered = run_helm("template", "aduan", package, "--namespace", "aduan")
    assert rendered.returncode == 0, rendered.stderr
    import yaml

    assert [d for d in yaml.safe_load_all(rendered.stdout) if d] == default_docs

"""Leadership's Grafana and the alerts, against a real Prometheus scraping the six services.

A Prometheus (Debian's, started by tools/devstack) scrapes the `platform` fixture's services
every 2 s and loads deploy/prometheus/rules/. The test makes a little traffic: a report through
intake (its reporter is notified through the platform's JAKI stand-in), an assignment that
reached its kelurahan 14 days ago (so the SLA monitor sends its warnings and breach), and a
message no consumer can parse (so it is dead-lettered). Then:

- every target `expr` of every dashboard under deploy/grafana/dashboards/ is run as an instant
  query (Grafana's `$__rate_interval`, `$__interval` and `$__range` replaced by fixed windows):
  it must parse and return at least one sample, and every metric it names must have series;
- every alert expression is run as written (it must parse; empty is fine while all is well),
  and without its final threshold comparison (`<query> <op> <number>`, see the rules file),
  which must return data: the alert watches something that exists;
- Prometheus evaluates every rule without error, and `promtool check rules` passes;
- every dashboard is valid JSON for the provisioned data source and names only metrics that
  some service exports; consumer lag and DLQ sizes are measured right on the real broker.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aduan_devstack.infra import Prometheus, free_port
from aduan_devstack.kafka import ensure_topics_async
from aduan_devstack.prometheus import ensure_promtool
from aduan_shared.consumer_lag import ConsumerLag
from aduan_shared.events import (
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    Actor,
    ReportState,
    StatusChanged,
    dlq_topic,
)
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from faststream.kafka import KafkaBroker

pytestmark = pytest.mark.integration

Platform = Any  # the `platform` fixture of conftest.py

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "deploy" / "grafana" / "dashboards"
PROVISIONING = REPO / "deploy" / "grafana" / "provisioning"
RULES = REPO / "deploy" / "prometheus" / "rules"
SERVICES = ("intake", "geo-router", "disposition", "sla-monitor", "notifier", "analytics")

#: Grafana's variables, as a short test run can fill them (scrapes every 2 s).
GRAFANA_VARIABLES = {
    "$__rate_interval": "30s",
    "${__rate_interval}": "30s",
    "$__interval": "10s",
    "${__interval}": "10s",
    "$__range": "1h",
    "${__range}": "1h",
}
#: `<query> <op> <number>` at the end of an alert expression (the rules file's house rule).
THRESHOLD = re.compile(
    r"^(?P<query>.+?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<number>-?[0-9.]+)\s*$", re.S
)
METRIC = re.compile(r"\b(aduan_[a-z0-9_]+)\b")
NAME_REGEX = re.compile(r'__name__=~"([^"]+)"')
WAIT_S = 180
ROUTED_DLQ = dlq_topic(REPORT_ROUTED)


# --- what the files hold ------------------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", ())  # panels of a collapsed row


def panel_queries() -> list[tuple[str, str]]:
    """(where, expr) of every target of every panel of every dashboard."""
    found = []
    for name, board in dashboards().items():
        for panel in panels(board):
            for target in panel.get("targets", ()):
                found.append((f"{name} · {panel['title']} · {target['refId']}", target["expr"]))
    return found


def alert_rules() -> list[dict[str, Any]]:
    rules = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(r for r in group["rules"] if "alert" in r)
    return rules


def grafana_free(expr: str) -> str:
    for variable, value in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a Grafana variable the test does not know: {expr}"
    return expr


def without_threshold(expr: str) -> str:
    match = THRESHOLD.match(expr.strip())
    assert match, f"an alert must end in '<op> <number>': {expr}"
    return match["query"]


def metric_names(expr: str) -> tuple[set[str], set[str]]:
    """The metric names an expression uses: plain `aduan_*` names and `__name__=~` regexes."""
    regexes = set(NAME_REGEX.findall(expr))
    plain = set(METRIC.findall(NAME_REGEX.sub("", expr)))
    return plain, regexes


# --- the servers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's Prometheus scraping the platform's services every 2 s, with Aduan's rules."""
    run_dir = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "2s", "evaluation_interval": "2s"},
        "rule_files": [str(RULES / "*.yml")],
        "scrape_configs": [
            {
                "job_name": name,
                "static_configs": [{"targets": [platform.url(name).removeprefix("http://")]}],
            }
            for name in SERVICES
        ],
    }
    path = run_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    prom = Prometheus(run_dir, port=free_port(), config=path)
    prom.start(timeout=60)
    try:
        yield prom.url
    finally:
        prom.stop()


def query(prom: str, expr: str) -> list[dict[str, Any]]:
    """An instant query; fails the test with Prometheus' own words when it does not parse."""
    r = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success", f"{expr}\n→ {body}"
    return body["data"]["result"]  # type: ignore[no-any-return]


async def publish(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def traffic(platform: Platform) -> dict[str, str]:
    """A report through intake, an overdue assignment and an unparseable message."""
    bangka = platform.kelurahan_point("Bangka")
    report = {
        "channel": "jaki",
        "external_id": f"obs-{uuid.uuid4()}",
        "category": "Jalan",
        "description": "Lampu jalan mati di depan sekolah",
        "location": {"lat": float(bangka["lat"]), "lon": float(bangka["lon"])},
        "reporter": {"name": "Warga", "phone": "+6281200000099"},
    }
    key = json.loads(platform.env["INTAKE_API_KEYS"])["jaki"]
    accepted = httpx.post(
        platform.url("intake", "/v1/reports"), json=report, headers={"X-Api-Key": key}, timeout=15
    )
    assert accepted.status_code == 202, accepted.text
    report_id, code = accepted.json()["report_id"], accepted.json()["tracking_code"]
    platform.case(report_id)  # routed and opened: the pipeline ran end to end

    overdue = uuid.uuid4()
    waiting = StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC) - timedelta(days=14),
        report_id=overdue,
        correlation_id=f"obs-{overdue}",
        from_state=ReportState.RECEIVED,
        to_state=ReportState.WAITING,
        unit_id=f"kelurahan:{bangka['kode']}",
        actor=Actor(role="system", id="observability-test"),
        version=1,
    )
    bootstrap = platform.servers.kafka_bootstrap
    asyncio.run(
        publish(bootstrap, REPORT_STATUS_CHANGED, waiting.key, waiting.model_dump_json().encode())
    )
    poison = uuid.uuid4()
    asyncio.run(publish(bootstrap, REPORT_ROUTED, str(poison).encode(), b"{not json"))
    return {"report_id": report_id, "tracking_code": code, "overdue": str(overdue)}


@pytest.fixture(scope="module")
def scraped(prometheus: str, traffic: dict[str, str]) -> str:
    """Prometheus once every panel query has data (or the time is up: the tests then say which
    did not). The SLA monitor scans and recounts every 30 s, so this takes up to a minute."""
    exprs = [grafana_free(e) for _, e in panel_queries()]
    exprs += [without_threshold(r["expr"]) for r in alert_rules()]
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        missing = [e for e in exprs if not _has_data(prometheus, e)]
        if not missing:
            break
        time.sleep(2)
    return prometheus


def _has_data(prom: str, expr: str) -> bool:
    r = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    return r.get("status") == "success" and bool(r["data"]["result"])


def exported_names(platform: Platform) -> set[str]:
    """Every metric name the six services' /metrics declare, with a histogram's series."""
    names: set[str] = set()
    for service in SERVICES:
        text = httpx.get(platform.url(service, "/metrics"), timeout=10).text
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                names.add(name)
                if kind == "histogram":
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


# --- the tests ----------------------------------------------------------------------------------


def test_every_dashboard_panel_query_parses_and_returns_data(scraped: str) -> None:
    queries = panel_queries()
    assert len(queries) >= 30
    empty = [where for where, expr in queries if not query(scraped, grafana_free(expr))]
    assert not empty, f"panels without data: {empty}"


def test_the_reporter_was_notified_through_jaki(
    scraped: str, platform: Platform, traffic: dict[str, str]
) -> None:
    """What gives the delivery panels their data: the notifier really sent to JAKI (the
    platform's stand-in, `platform.outside`) and counted it."""
    assert platform.outside.jaki.matching(traffic["tracking_code"])
    sent = 'sum(aduan_notifier_deliveries_total{channel="jaki", outcome="sent"})'
    assert float(query(scraped, sent)[0]["value"][1]) >= 1


def test_every_metric_a_panel_or_alert_names_has_series_in_prometheus(scraped: str) -> None:
    """`or vector(0)` fills a stat with 0: the metric behind it must exist all the same."""
    exprs = [e for _, e in panel_queries()] + [r["expr"] for r in alert_rules()]
    plain: set[str] = set()
    regexes: set[str] = set()
    for expr in exprs:
        p, r = metric_names(expr)
        plain |= p
        regexes |= r
    missing = [n for n in sorted(plain) if not query(scraped, f'count({{__name__="{n}"}})')]
    missing += [r for r in sorted(regexes) if not query(scraped, f'count({{__name__=~"{r}"}})')]
    assert not missing, f"metrics without series: {missing}"


def test_every_alert_expression_parses_and_watches_data(scraped: str) -> None:
    rules = alert_rules()
    assert {r["alert"] for r in rules} >= {
        "AduanServiceDown",
        "AduanConsumerLag",
        "AduanDeadLetters",
        "AduanSlaBreachSpike",
    }
    empty = []
    for rule in rules:
        query(scraped, rule["expr"])  # parses as written (empty while nothing is wrong)
        if not query(scraped, without_threshold(rule["expr"])):
            empty.append(rule["alert"])
    assert not empty, f"alerts whose query has no data: {empty}"


def test_prometheus_loads_and_evaluates_every_rule(scraped: str) -> None:
    def loaded() -> list[dict[str, Any]]:
        groups = httpx.get(f"{scraped}/api/v1/rules", timeout=10).json()["data"]["groups"]
        return [r for g in groups for r in g["rules"]]

    rules = loaded()
    assert sorted(r["name"] for r in rules) == sorted(r["alert"] for r in alert_rules())
    deadline = time.monotonic() + 20
    while any(r["health"] != "ok" for r in rules) and time.monotonic() < deadline:
        time.sleep(1)
        rules = loaded()
    assert {(r["name"], r["health"], r.get("lastError", "")) for r in rules} == {
        (r["name"], "ok", "") for r in rules
    }


def test_the_dead_letter_fires_its_alert_and_no_service_is_down(
    scraped: str, platform: Platform
) -> None:
    """The poison message fires AduanDeadLetters (it has no `for`) for its DLQ; AduanServiceDown
    is not even pending. (Other alerts may be pending when other tests share the platform.)

    The alert is on new dead letters (`delta`): if Prometheus's first sample of the DLQ gauge
    already counted the fixture's poison message, nothing is new, so after 15 s a second
    poison message is sent, surely after the first sample."""
    began = time.monotonic()
    deadline, again = began + 60, True
    while True:
        alerts = httpx.get(f"{scraped}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        firing = {
            (a["labels"]["alertname"], a["labels"].get("topic"))
            for a in alerts
            if a["state"] == "firing"
        }
        if ("AduanDeadLetters", ROUTED_DLQ) in firing or time.monotonic() > deadline:
            break
        if again and time.monotonic() > began + 15:
            poison = str(uuid.uuid4()).encode()
            asyncio.run(publish(platform.servers.kafka_bootstrap, REPORT_ROUTED, poison, b"{x"))
            again = False
        time.sleep(1)
    assert ("AduanDeadLetters", ROUTED_DLQ) in firing
    assert not [a for a in alerts if a["labels"]["alertname"] == "AduanServiceDown"]


def test_every_consumer_group_reports_its_lag(scraped: str, platform: Platform) -> None:
    lag = 'max by (group, topic, partition) ({__name__=~"aduan_.+_consumer_lag"})'
    groups = {s["metric"]["group"] for s in query(scraped, lag)}
    assert groups == {f"aduan-{s}" for s in SERVICES}
    fresh = 'time() - max by (job) ({__name__=~"aduan_.+_consumer_lag_checked_timestamp_seconds"})'
    ages = {s["metric"]["job"]: float(s["value"][1]) for s in query(scraped, fresh)}
    assert set(ages) == set(SERVICES) and max(ages.values()) < 30, ages  # every 10 s
    # Each service measures its own groups only, and every value is a count of messages.
    for service in SERVICES:
        text = httpx.get(platform.url(service, "/metrics"), timeout=10).text
        name = f"aduan_{service.replace('-', '_')}_consumer_lag"
        rows = [line for line in text.splitlines() if line.startswith(name + "{")]
        assert rows, service
        assert all(f'group="aduan-{service}"' in line for line in rows), rows
        assert all(float(line.rsplit(" ", 1)[1]) >= 0 for line in rows)


def test_a_dead_lettered_message_shows_in_the_dlq_gauge(scraped: str) -> None:
    dlq = f'max by (topic) ({{__name__=~"aduan_.+_dlq_messages", topic="{ROUTED_DLQ}"}})'
    deadline = time.monotonic() + 30
    while not (found := query(scraped, dlq)) and time.monotonic() < deadline:
        time.sleep(1)
    assert found and float(found[0]["value"][1]) >= 1, found


async def test_lag_and_dlq_size_are_measured_on_the_real_broker(servers: Any) -> None:
    """A topic of 5 messages of which the group committed 2, and 2 dead letters: lag 3, DLQ 2."""
    topic = f"obs.lag-{uuid.uuid4().hex[:8]}"
    group = f"aduan-obs-{uuid.uuid4().hex[:8]}"
    await ensure_topics_async(servers.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"{}", key=str(i).encode())
        for _ in range(2):
            await producer.send_and_wait(dlq_topic(topic), b"{}")
    finally:
        await producer.stop()
    committer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign([TopicPartition(topic, 0)])
        await committer.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "")})
    finally:
        await committer.stop()

    broker = KafkaBroker(servers.kafka_bootstrap)
    missing = f"obs.missing-{uuid.uuid4().hex[:8]}"

    @broker.subscriber(topic, group_id=group)
    async def handle(body: dict[str, str]) -> None: ...

    @broker.subscriber(missing, group_id=group)
    async def never(body: dict[str, str]) -> None: ...

    metrics = ServiceMetrics("obs-probe")
    settings = KafkaSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap})
    lag = ConsumerLag(broker, settings, metrics, interval_s=3600)
    await lag.start()  # the first measurement runs now, in the background
    try:
        reading = await lag.refresh()
    finally:
        await lag.stop()
    assert reading.lags == {(group, topic, 0): 3}
    assert reading.dlq == {dlq_topic(topic): 2}
    # A topic that does not exist is measured as nothing, and not created by asking.
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        assert not {missing, dlq_topic(missing)} & set(await admin.list_topics())
    finally:
        await admin.close()
    sample = metrics.registry.get_sample_value
    labels = {"group": group, "topic": topic, "partition": "0"}
    assert sample("aduan_obs_probe_consumer_lag", labels) == 3
    assert sample("aduan_obs_probe_dlq_messages", {"topic": dlq_topic(topic)}) == 2


def test_a_service_that_does_not_answer_is_reported_down(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A Prometheus of its own whose `notifier` target is a port nobody listens on: `up` is 0
    and AduanServiceDown is pending for it (it fires after its 2 minutes)."""
    run_dir = tmp_path_factory.mktemp("prometheus-down")
    target = f"127.0.0.1:{free_port()}"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES / "*.yml")],
        "scrape_configs": [
            {"job_name": "aduan-notifier", "static_configs": [{"targets": [target]}]}
        ],
    }
    path = run_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    prom = Prometheus(run_dir, port=free_port(), config=path)
    prom.start(timeout=60)
    try:
        deadline = time.monotonic() + 30
        down: list[dict[str, Any]] = []
        while not down and time.monotonic() < deadline:
            time.sleep(1)
            alerts = httpx.get(f"{prom.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
            down = [a for a in alerts if a["labels"]["alertname"] == "AduanServiceDown"]
    finally:
        prom.stop()
    assert len(down) == 1, down
    assert down[0]["state"] == "pending"
    assert down[0]["labels"]["job"] == "aduan-notifier"  # a chart's job name: <release>-<service>
    assert down[0]["labels"]["instance"] == target
    assert down[0]["labels"]["severity"] == "critical"


def test_promtool_checks_the_rules() -> None:
    files = sorted(RULES.glob("*.yml"))
    assert files
    proc = subprocess.run(
        [ensure_promtool(), "check", "rules", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in proc.stdout


def test_dashboards_are_valid_for_the_provisioned_data_source(platform: Platform) -> None:
    source = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    boards = dashboards()
    assert set(boards) == {
        "aduan-city-overview.json",
        "aduan-sla.json",
        "aduan-pipeline.json",
    }
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    exported = exported_names(platform)
    for name, board in boards.items():
        assert board["uid"] == name.removesuffix(".json") and board["title"], name
        ids = [p["id"] for p in panels(board)]
        assert len(ids) == len(set(ids)), name
        for panel in panels(board):
            if panel["type"] == "row":
                continue
            where = f"{name} · {panel['title']}"
            assert panel["datasource"] == {"type": "prometheus", "uid": uid}, where
            assert panel["targets"] and panel["description"], where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid, where
                plain, regexes = metric_names(target["expr"])
                assert plain | regexes or "up{" in target["expr"], f"{where}: no Aduan metric"
                assert plain <= exported, f"{where}: {plain - exported} exported by no service"
                for regex in regexes:
                    assert any(re.fullmatch(regex, n) for n in exported), f"{where}: {regex}"

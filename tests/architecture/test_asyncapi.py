"""`make asyncapi`: every service's document names exactly the topics CONTRACTS.md gives it."""

import importlib.util
import json
from pathlib import Path

import pytest
from aduan_shared import events as ev

REPO = Path(__file__).resolve().parents[2]

#: (consumes, produces) per service, as the code does today.
EXPECTED = {
    "intake": ({ev.REPORT_STATUS_CHANGED}, {ev.REPORT_RECEIVED, ev.REPORT_STATUS_ASKED}),
    "geo-router": ({ev.REPORT_RECEIVED, ev.REPORT_STATUS_CHANGED}, {ev.REPORT_ROUTED}),
    "disposition": ({ev.REPORT_ROUTED}, {ev.REPORT_STATUS_CHANGED, ev.REPORT_RATED}),
    "sla-monitor": (
        {ev.REPORT_ROUTED, ev.REPORT_STATUS_CHANGED},
        {ev.SLA_WARNING, ev.SLA_BREACHED},
    ),
    "notifier": (
        {
            ev.REPORT_RECEIVED,
            ev.REPORT_STATUS_CHANGED,
            ev.SLA_WARNING,
            ev.SLA_BREACHED,
            ev.REPORT_STATUS_ASKED,
        },
        {ev.NOTIFICATION_SENT},
    ),
    "analytics": (
        {
            ev.REPORT_RECEIVED,
            ev.REPORT_ROUTED,
            ev.REPORT_STATUS_CHANGED,
            ev.REPORT_RATED,
            ev.SLA_BREACHED,
        },
        set(),
    ),
}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location(
        "write_asyncapi", REPO / "scripts" / "write_asyncapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("api")
    assert module.main([str(out)]) == 0
    return out


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_asyncapi_channels_match_the_contracts(documents: Path, service: str) -> None:
    doc = json.loads((documents / f"{service}.asyncapi.json").read_text())
    assert doc["asyncapi"] == "3.0.0"
    consumes, produces = set(), set()
    for operation in doc["operations"].values():
        address = doc["channels"][operation["channel"]["$ref"].split("/")[-1]]["address"]
        (consumes if operation["action"] == "receive" else produces).add(address)
    assert (consumes, produces) == EXPECTED[service]


def test_openapi_documents_have_the_operational_endpoints(documents: Path) -> None:
    for service in EXPECTED:
        paths = json.loads((documents / f"{service}.openapi.json").read_text())["paths"]
        assert {"/healthz", "/readyz", "/asyncapi.json"} <= set(paths), service

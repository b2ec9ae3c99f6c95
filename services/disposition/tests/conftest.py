"""Routed events and an in-memory case store for disposition's tests."""

import uuid
from datetime import UTC, datetime

import pytest
from aduan_disposition.domain import Case
from aduan_shared.events import ReportRouted, derived_event_id, tracking_code_for


class MemoryCases:
    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}

    async def create(self, case: Case) -> Case:
        return self.cases.setdefault(case.report_id, case)

    async def get(self, report_id: str) -> Case | None:
        return self.cases.get(report_id)

    async def by_tracking_code(self, code: str) -> Case | None:
        return next((c for c in self.cases.values() if c.tracking_code == code), None)


def make_routed(*, unit: bool = True) -> ReportRouted:
    rid = uuid.uuid4()
    now = datetime.now(UTC)
    located = {
        "kelurahan": {"kode": "31.74.03.1002", "name": "Bangka"},
        "kecamatan": {"kode": "31.74.03", "name": "Mampang Prapatan"},
        "kota": {"kode": "31.74", "name": "Jakarta Selatan"},
        "unit_id": "kelurahan:31.74.03.1002",
        "unit_name": "Kelurahan Bangka",
        "method": "polygon",
        "distance_m": 0.0,
        "needs_coordination": False,
    }
    pool = {"method": "none", "needs_coordination": True, "reason": "no_location"}
    return ReportRouted.model_validate(
        {
            "event_id": derived_event_id(rid, "routed"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": "corr-9",
            "category": "Jalan",
            "category_source": "given",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "submitted_at": now,
            "reporter_ref": "rep-1",
            **(located if unit else pool),
        }
    )


@pytest.fixture
def cases() -> MemoryCases:
    return MemoryCases()


@pytest.fixture
def routed_event() -> ReportRouted:
    return make_routed(unit=True)


@pytest.fixture
def pool_event() -> ReportRouted:
    return make_routed(unit=False)

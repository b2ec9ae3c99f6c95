"""Opening a case from a routed report (pure)."""

from aduan_disposition.domain import ADMIN_POOL, open_case, public_timeline
from aduan_shared.events import ReportRouted, ReportState


def test_case_waits_at_the_routed_unit(routed_event: ReportRouted) -> None:
    case = open_case(routed_event)
    assert case.state == ReportState.WAITING
    assert case.unit_id == "kelurahan:31.74.03.1002"
    assert case.unit_name == "Kelurahan Bangka"
    assert case.version == 1
    assert [h.state for h in case.history] == [ReportState.RECEIVED, ReportState.WAITING]


def test_unlocated_case_goes_to_the_admin_pool(pool_event: ReportRouted) -> None:
    case = open_case(pool_event)
    assert case.state == ReportState.COORDINATION
    assert case.unit_id == ADMIN_POOL
    assert case.history[-1].note == "no_location"


def test_timeline_has_labels_and_no_identities(routed_event: ReportRouted) -> None:
    timeline = public_timeline(open_case(routed_event))
    assert [t["label"] for t in timeline] == ["Diterima", "Menunggu"]
    assert "rep-1" not in str(timeline)

"""Event contracts: deterministic ids, validation, JSON round trips."""

import math
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aduan_shared.events import (
    ALL_DLQ_TOPICS,
    ALL_TOPICS,
    EVENT_MODELS,
    Actor,
    Location,
    ReportReceived,
    ReportState,
    StatusChanged,
    derived_event_id,
    dlq_topic,
    report_id_for,
    tracking_code_for,
)
from pydantic import ValidationError

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=7)))


def received(**overrides: object) -> ReportReceived:
    rid = report_id_for("jaki", "app-123")
    fields: dict[str, object] = {
        "event_id": derived_event_id(rid, "received"),
        "occurred_at": NOW,
        "report_id": rid,
        "correlation_id": "c-1",
        "tracking_code": tracking_code_for(rid),
        "channel": "jaki",
        "description": "Jalan bolong di depan sekolah",
        "location": {"lat": -6.2, "lon": 106.8, "source": "gps"},
        "submitted_at": NOW,
    }
    fields.update(overrides)
    return ReportReceived.model_validate(fields)


def test_same_channel_message_gives_same_report_id_and_tracking_code() -> None:
    a, b = report_id_for("jaki", "app-123"), report_id_for("jaki", "app-123")
    assert a == b
    assert report_id_for("lapor", "app-123") != a
    assert tracking_code_for(a) == tracking_code_for(b)


def test_tracking_code_is_short_and_readable_aloud() -> None:
    codes = {tracking_code_for(uuid.uuid4(), "JKT") for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        prefix, body = code.split("-")
        assert prefix == "JKT" and len(body) == 8
        assert not set(body) & set("01ILOU")


def test_collision_attempts_give_other_codes_deterministically() -> None:
    rid = uuid.uuid4()
    attempts = [tracking_code_for(rid, "JKT", a) for a in range(4)]
    assert len(set(attempts)) == 4
    assert attempts == [tracking_code_for(rid, "JKT", a) for a in range(4)]


def test_derived_event_ids_are_deterministic_and_distinct_per_purpose() -> None:
    source = uuid.uuid4()
    assert derived_event_id(source, "routed") == derived_event_id(source, "routed")
    assert derived_event_id(source, "routed") != derived_event_id(source, "case-opened")


def test_event_round_trips_through_json_and_keeps_offset() -> None:
    event = received()
    again = ReportReceived.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.occurred_at.utcoffset() == timedelta(hours=7)
    assert event.key == str(event.report_id).encode()


def test_unknown_fields_are_ignored_by_consumers() -> None:
    data = received().model_dump(mode="json") | {"added_in_a_later_version": 42}
    assert ReportReceived.model_validate(data) == received()


def test_events_are_frozen() -> None:
    with pytest.raises(ValidationError):
        received().description = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("lat", [math.nan, math.inf, -91.0, 90.5])
def test_bad_latitudes_are_rejected(lat: float) -> None:
    with pytest.raises(ValidationError):
        Location(lat=lat, lon=106.8)


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValidationError):
        received(occurred_at=datetime(2026, 11, 22, 9, 30))


def test_every_topic_has_one_model_and_a_dlq() -> None:
    assert set(EVENT_MODELS) == set(ALL_TOPICS)
    assert dlq_topic("aduan.report.received.v1") == "aduan.report.received.v1.dlq"
    assert len(ALL_DLQ_TOPICS) == len(ALL_TOPICS)
    for topic, model in EVENT_MODELS.items():
        assert topic == model.TOPIC
        assert topic.endswith(".v1")


def test_status_changed_versions_start_at_one() -> None:
    with pytest.raises(ValidationError):
        StatusChanged(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            report_id=uuid.uuid4(),
            correlation_id="c",
            from_state=None,
            to_state=ReportState.WAITING,
            unit_id="kelurahan:1",
            actor=Actor(role="system", id="x"),
            version=0,
        )


def test_state_labels_are_jakartas() -> None:
    assert ReportState.DONE.label == "Selesai"
    assert ReportState.COORDINATION.label == "Koordinasi"

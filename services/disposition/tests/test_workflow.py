"""The workflow on in-memory stores: events, versions, outbox, evidence, merges, ratings, reopen."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aduan_disposition.domain import open_case
from aduan_disposition.handlers import case_opened_event
from aduan_disposition.tracking import rating_of
from aduan_disposition.transition_body import TransitionRequest
from aduan_shared.auth import Principal
from aduan_shared.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
    TransitionNotAllowed,
    UnsupportedMediaType,
)
from aduan_shared.events import Actor, ReportRated, ReportState, StatusChanged, derive_id
from aduan_shared.photos import process_photo

BANGKA = "kelurahan:31.74.03.1002"
KUNINGAN = "kelurahan:31.74.03.1001"
OFFICER = Principal("off-1", "Officer", frozenset({"unit_officer"}), BANGKA)
ADMIN = Principal("adm-1", "Admin", frozenset({"crm_admin"}), "crm-admin")
VERIFIER = Principal("ver-1", "Verifier", frozenset({"verifier"}), "verifier")
LEADER = Principal("lead-1", "Leader", frozenset({"leader"}), None)
HERE = (-6.2500, 106.8300)


async def open_at_bangka(kit: Any, make: Callable[..., Any], **routed: Any) -> str:
    event = make(location={"lat": HERE[0], "lon": HERE[1], "source": "gps"}, **routed)
    case = open_case(event)
    await kit.cases.create(case, case_opened_event(event, case))
    await kit.outbox.flush(case.report_id)
    return case.report_id


async def act(
    kit: Any, rid: str, who: Principal, action: str, photos: tuple[bytes, ...] = (), **fields: Any
) -> Any:
    case = await kit.cases.get(rid)
    return await kit.workflow.transition(
        rid,
        TransitionRequest(action=action, **fields),
        principal=who,
        if_match=(case.version,),
        photos=photos,
        correlation_id="corr-t",
    )


def published(kit: Any, rid: str) -> list[StatusChanged]:
    return [
        e for e in kit.publisher.events if str(e.report_id) == rid and isinstance(e, StatusChanged)
    ]


async def test_a_transition_writes_then_publishes_its_event(kit: Any, routed: Any) -> None:
    rid = await open_at_bangka(kit, routed)
    case = await act(kit, rid, OFFICER, "accept", note="kami cek")
    assert (case.state, case.version) == (ReportState.IN_PROGRESS, 2)
    _opened, accepted = published(kit, rid)
    assert accepted.event_id == derive_id(rid, "status-changed", 2)
    assert (accepted.from_state, accepted.to_state) == (ReportState.WAITING, case.state)
    assert accepted.actor == Actor(role="unit_officer", id="off-1")
    assert (accepted.unit_id, accepted.previous_unit_id) == (BANGKA, BANGKA)
    assert (accepted.note, accepted.version, accepted.correlation_id) == ("kami cek", 2, "corr-t")
    assert accepted.tracking_code == case.tracking_code and accepted.channel == "jaki"
    assert (accepted.category, accepted.reporter_ref) == ("Jalan", "rep-1")
    assert accepted.kelurahan_kode == "31.74.03.1002"
    assert kit.cases.outboxes[rid] == []  # acknowledged, so removed
    assert kit.metric("transitions_total", action="accept", to_state="in_progress") == 1
    assert kit.metric("time_in_state_seconds_count", state="waiting") == 1


async def test_a_stale_version_is_412_and_writes_nothing(kit: Any, routed: Any) -> None:
    rid = await open_at_bangka(kit, routed)
    await act(kit, rid, OFFICER, "accept")
    with pytest.raises(StaleVersion):
        await kit.workflow.transition(
            rid,
            TransitionRequest(action="hand_over", note="bukan kewenangan"),
            principal=OFFICER,
            if_match=(1,),
            correlation_id="c",
        )
    assert (await kit.cases.get(rid)).version == 2 and len(published(kit, rid)) == 2


async def test_a_case_that_left_the_unit_since_the_officers_version_is_412(
    kit: Any, routed: Any
) -> None:
    rid = await open_at_bangka(kit, routed)
    await act(kit, rid, OFFICER, "accept")
    await act(kit, rid, OFFICER, "hand_over", note="bukan kewenangan kami")  # now in the pool
    colleague = Principal("off-9", "Colleague", frozenset({"unit_officer"}), BANGKA)
    stranger = Principal("off-2", "Other", frozenset({"unit_officer"}), KUNINGAN)
    request = TransitionRequest(action="schedule", note="nanti", estimated_completion="2099-02-01")
    with pytest.raises(StaleVersion):  # acted on version 2, when the case was still theirs
        await kit.workflow.transition(
            rid, request, principal=colleague, if_match=(2,), correlation_id="c"
        )
    with pytest.raises(Forbidden):  # the case was never at their unit
        await kit.workflow.transition(
            rid, request, principal=stranger, if_match=(2,), correlation_id="c"
        )
    with pytest.raises(Forbidden):  # the current version, but no longer their unit's case
        await kit.workflow.transition(
            rid, request, principal=colleague, if_match=(3,), correlation_id="c"
        )


@pytest.mark.parametrize(
    "who",
    [
        LEADER,
        Principal("int-1", "Intake", frozenset({"intake_officer"}), BANGKA),
        Principal("off-2", "Other", frozenset({"unit_officer"}), KUNINGAN),
    ],
)
async def test_who_may_not_act_is_403(kit: Any, routed: Any, who: Principal) -> None:
    rid = await open_at_bangka(kit, routed)
    with pytest.raises(Forbidden):
        await act(kit, rid, who, "accept")
    assert (await kit.cases.get(rid)).version == 1


async def test_a_broker_outage_does_not_fail_the_request(kit: Any, routed: Any) -> None:
    rid = await open_at_bangka(kit, routed)
    kit.publisher.down = True
    await act(kit, rid, OFFICER, "accept")
    await act(kit, rid, OFFICER, "schedule", note="tunggu alat", estimated_completion="2099-01-01")
    assert [e.version for e in kit.cases.outboxes[rid]] == [2, 3]  # written, not yet published
    kit.publisher.down = False
    await kit.outbox.sweep()
    assert [e.version for e in published(kit, rid)] == [1, 2, 3]
    scheduled = published(kit, rid)[-1]
    assert scheduled.estimated_completion is not None
    assert scheduled.estimated_completion.isoformat() == "2099-01-01T23:59:59+07:00"


async def test_evidence_flags_recycled_early_and_far_photos(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    own = jpeg(1)
    own_ref = process_photo(own).to_ref("intake-photo")
    rid = await open_at_bangka(kit, routed, photos=[own_ref.model_dump()])
    await act(kit, rid, OFFICER, "accept")
    far = (HERE[0] + 0.01, HERE[1])  # ~1.1 km north
    case = await act(
        kit,
        rid,
        OFFICER,
        "complete",
        photos=(own, jpeg(2, taken="2020:01:01 08:00:00", gps=far)),
        note="sudah ditambal",
    )
    assert case.state is ReportState.VERIFICATION
    assert [f.value for f in case.evidence[-1].flags] == [
        "recycled_photo",
        "photo_predates_report",
        "photo_far_from_location",
    ]
    assert len(kit.photos.photos) == 2  # stored, content-addressed
    event = published(kit, rid)[-1]
    assert event.flags == ("recycled_photo", "photo_predates_report", "photo_far_from_location")
    assert kit.metric("evidence_flags_total", flag="recycled_photo") == 1

    # Another report's completion with the same picture is recycled too (evidence of others).
    other = await open_at_bangka(kit, routed)
    await act(kit, other, OFFICER, "accept")
    again = await act(kit, other, OFFICER, "complete", photos=(jpeg(2),), note="selesai")
    assert [f.value for f in again.evidence[-1].flags] == ["recycled_photo"]
    fresh = await open_at_bangka(kit, routed)
    await act(kit, fresh, OFFICER, "accept")
    clean = await act(kit, fresh, OFFICER, "complete", photos=(jpeg(3, gps=HERE),), note="selesai")
    assert clean.evidence[-1].flags == ()


async def test_a_bad_photo_is_refused_before_anything_is_written(kit: Any, routed: Any) -> None:
    rid = await open_at_bangka(kit, routed)
    await act(kit, rid, OFFICER, "accept")
    with pytest.raises(UnsupportedMediaType):
        await act(kit, rid, OFFICER, "complete", photos=(b"GIF89a" + b"0" * 64,), note="x")
    assert (await kit.cases.get(rid)).version == 2 and kit.photos.photos == {}


async def test_refusals_come_before_photos_are_decoded(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    rid = await open_at_bangka(kit, routed)
    with pytest.raises(TransitionNotAllowed):  # waiting: accept first
        await act(kit, rid, OFFICER, "complete", photos=(b"not a photo",), note="x")
    await act(kit, rid, OFFICER, "accept")
    with pytest.raises(InvalidInput):  # no note
        await act(kit, rid, OFFICER, "complete", photos=(jpeg(4),))
    with pytest.raises(InvalidInput):  # photos on another action
        await act(kit, rid, OFFICER, "schedule", photos=(jpeg(4),), note="x")
    assert kit.photos.photos == {}


async def test_a_duplicate_merge_makes_its_reporter_follow_the_original(
    kit: Any, routed: Any
) -> None:
    original = await open_at_bangka(kit, routed)
    dup = await open_at_bangka(kit, routed, reporter_ref="rep-2")
    with pytest.raises(InvalidInput):
        await act(kit, dup, ADMIN, "reject", note="dobel", duplicate_of=str(uuid.uuid4()))
    case = await act(kit, dup, ADMIN, "reject", note="dobel", duplicate_of=original)
    assert (case.state, case.duplicate_of, case.reject_reason) == (
        ReportState.REJECTED,
        original,
        "duplicate",
    )
    event = published(kit, dup)[-1]
    assert event.duplicate_of == uuid.UUID(original) and event.reporter_ref == "rep-2"
    assert await kit.cases.followers(original) == ["rep-2"]


async def test_rating_once_and_only_after_done(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    rid = await open_at_bangka(kit, routed)
    code = (await kit.cases.get(rid)).tracking_code
    with pytest.raises(TransitionNotAllowed):
        await kit.workflow.rate(code, 5, None)
    await done(kit, rid, jpeg)
    rating = await kit.workflow.rate(code.lower(), 4, " mantap ")
    assert (rating["stars"], rating["comment"]) == (4, "mantap")
    with pytest.raises(TransitionNotAllowed, match="already"):
        await kit.workflow.rate(code, 5, None)
    with pytest.raises(NotFound):
        await kit.workflow.rate("JKT-XXXXXXXX", 5, None)
    assert kit.metric("ratings_total", stars="4") == 1
    # The rating is an event too (for analytics), written with the rating and published once.
    (rated,) = [e for e in kit.publisher.events if isinstance(e, ReportRated)]
    case = await kit.cases.get(rid)
    assert (rated.stars, rated.unit_id, rated.tracking_code) == (4, case.unit_id, code)
    assert rated.version == case.version and rated.event_id == derive_id(rid, "rated")
    assert kit.cases.outboxes[rid] == []


async def test_done_carries_the_unit_s_completion_note_not_the_verifier_s(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    rid = await open_at_bangka(kit, routed)
    await act(kit, rid, OFFICER, "accept")
    await act(kit, rid, OFFICER, "complete", photos=(jpeg(8),), note="foto kurang jelas")
    await act(kit, rid, VERIFIER, "send_back", note="foto ulang")
    await act(kit, rid, OFFICER, "complete", photos=(jpeg(9),), note="lubang sudah ditambal")
    await act(kit, rid, VERIFIER, "approve", note="ok")
    final = published(kit, rid)[-1]
    assert (final.to_state, final.note, final.completion_note) == (
        ReportState.DONE,
        "ok",
        "lubang sudah ditambal",
    )
    assert all(e.completion_note is None for e in published(kit, rid)[:-1])


async def done(kit: Any, rid: str, jpeg: Callable[..., bytes]) -> None:
    if (await kit.cases.get(rid)).state is ReportState.WAITING:
        await act(kit, rid, OFFICER, "accept")
    await act(kit, rid, OFFICER, "complete", photos=(jpeg(7),), note="selesai")
    await act(kit, rid, VERIFIER, "approve")


async def test_the_reporter_reopens_within_the_window_only(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    rid = await open_at_bangka(kit, routed)
    code = (await kit.cases.get(rid)).tracking_code
    with pytest.raises(TransitionNotAllowed):
        await kit.workflow.reopen_by_reporter(code, "masih bolong", correlation_id="c")
    await done(kit, rid, jpeg)
    kit.clock.now += timedelta(days=6, hours=23)
    case = await kit.workflow.reopen_by_reporter(code, "masih bolong", correlation_id="c")
    assert case.state is ReportState.IN_PROGRESS
    event = published(kit, rid)[-1]
    assert event.actor == Actor(role="reporter", id="rep-1") and event.note == "masih bolong"

    await done(kit, rid, jpeg)
    kit.clock.now += timedelta(days=7, seconds=1)
    with pytest.raises(Forbidden, match="7 days"):
        await kit.workflow.reopen_by_reporter(code, "masih", correlation_id="c")


async def test_the_tracking_page_asks_for_a_rating_only_once_the_case_was_done(
    kit: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    asked: list[str] = []
    rating = kit.cases.rating

    async def counted(report_id: str) -> dict[str, Any] | None:
        asked.append(report_id)
        return await rating(report_id)

    kit.cases.rating = counted
    rid = await open_at_bangka(kit, routed)
    assert await rating_of(kit.cases, await kit.cases.get(rid)) is None
    assert asked == []  # never done: no rating can exist, so no query
    await done(kit, rid, jpeg)
    await kit.workflow.rate((await kit.cases.get(rid)).tracking_code, 5, None)
    assert (await rating_of(kit.cases, await kit.cases.get(rid)) or {})["stars"] == 5
    assert asked == [rid]

"""The workflow: load a case, let the state machine decide, write the case with its event, publish.

Every change follows the same path (`_commit`): `lifecycle.apply` answers with a transition or
a 403/409/422; the new case and its `status-changed` event are written in one conditional
update (412 when the case moved on: `If-Match` is checked again by the database, so two
concurrent requests on one version cannot both win); then the outbox publishes. A publish
failure does not fail the request: the write is committed and the outbox's sweep publishes
later, in order (see outbox.py). Evidence photos are decoded and checked before anything is
written, so a 413/415/422 leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aduan_shared.auth import Principal
from aduan_shared.cityconfig import Unit
from aduan_shared.errors import (
    CaseNotFound,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
    TransitionNotAllowed,
)
from aduan_shared.events import (
    PhotoRef,
    ReportRated,
    ReportState,
    StatusChanged,
    derive_id,
    utcnow,
)
from aduan_shared.logging import get_logger
from aduan_shared.photo_store import PhotoStore
from aduan_shared.photos import ProcessedPhoto, process_photo

from aduan_disposition.access import ACTING, can_see
from aduan_disposition.adapters.cases import CaseStore
from aduan_disposition.commands import Action, Command, Policy, Reporter, Transition
from aduan_disposition.domain import Case
from aduan_disposition.evidence import EvidenceFlag, PhotoFacts, check_evidence
from aduan_disposition.evidence_index import phash_bands
from aduan_disposition.lifecycle import apply
from aduan_disposition.live import LiveFeed
from aduan_disposition.metrics import DispositionMetrics
from aduan_disposition.outbox import Outbox
from aduan_disposition.transition_body import TransitionRequest

log = get_logger(__name__)

#: Stands in for the evidence while the request is checked before its photos are decoded.
_PENDING_PHOTO = PhotoRef(photo_id="pending", sha256="0" * 64, content_type="image/jpeg")
REPORTER_RETRIES = 3


@dataclass(frozen=True)
class CityRules:
    """What the city's configuration decides for the workflow."""

    units: Mapping[str, Unit]
    policy: Policy = field(default_factory=Policy)
    evidence_distance_m: float = 300.0


def status_event(t: Transition, correlation_id: str) -> StatusChanged:
    """The `status-changed` event of a transition; its id is a function of (report, version),
    so a republish is an exact duplicate."""
    case = t.case
    return StatusChanged(
        event_id=derive_id(case.report_id, "status-changed", t.version),
        occurred_at=t.at,
        report_id=uuid.UUID(case.report_id),
        correlation_id=correlation_id,
        from_state=t.from_state,
        to_state=t.to_state,
        unit_id=t.unit_id,
        previous_unit_id=t.previous_unit_id,
        actor=t.actor,
        note=t.note,
        estimated_completion=t.estimated_completion,
        flags=tuple(f.value for f in t.flags),
        version=t.version,
        tracking_code=case.tracking_code,
        channel=case.channel,
        category=case.category,
        reporter_ref=case.reporter_ref,
        kelurahan_kode=case.kelurahan.kode if case.kelurahan else None,
        duplicate_of=uuid.UUID(t.duplicate_of) if t.duplicate_of else None,
        completion_note=completion_note(t),
    )


def completion_note(t: Transition) -> str | None:
    """On `done`, the unit's note on the completion the verifier approved (or, verification
    off, on this completion itself): what the reporter is told was done."""
    if t.to_state is not ReportState.DONE:
        return None
    if t.from_state is not ReportState.VERIFICATION:
        return t.note
    earlier = t.case.history[:-1]
    return next((h.note for h in reversed(earlier) if h.state is ReportState.VERIFICATION), None)


def matching_version(case: Case, if_match: Sequence[int]) -> int:
    """The version `If-Match` names when it is the case's current one; StaleVersion otherwise."""
    if case.version not in if_match:
        raise StaleVersion(
            f"the case is at version {case.version}, not {', '.join(map(str, if_match)) or '?'}"
            "; reload it and decide again",
            current_version=case.version,
        )
    return case.version


class Workflow:
    def __init__(
        self,
        cases: CaseStore,
        outbox: Outbox,
        photos: PhotoStore,
        rules: CityRules,
        metrics: DispositionMetrics,
        live: LiveFeed | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        publish_wait_s: float = 1.0,
        evidence_candidates: int = 2000,
    ) -> None:
        self._cases = cases
        self._outbox = outbox
        self._photos = photos
        self.rules = rules
        self._metrics = metrics
        self._live = live
        self._clock = clock
        self._publish_wait_s = publish_wait_s
        self._evidence_candidates = evidence_candidates
        self._publishing: set[asyncio.Task[None]] = set()

    # --- officers ------------------------------------------------------------------------------

    async def transition(
        self,
        report_id: str,
        request: TransitionRequest,
        *,
        principal: Principal,
        if_match: Sequence[int],
        photos: Sequence[bytes] = (),
        correlation_id: str,
    ) -> Case:
        """Make an officer's transition; return the new case.

        Raises CaseNotFound (404), Forbidden (403: a role that never acts, another unit's case,
        or what lifecycle.apply refuses), StaleVersion (412), TransitionNotAllowed (409),
        InvalidInput (422), PayloadTooLarge (413) / UnsupportedMediaType (415) for photos."""
        case = await self._cases.get(report_id)
        if case is None:
            raise CaseNotFound(f"no case {report_id}")
        if not principal.has_any(ACTING):
            raise Forbidden(f"transitions require one of the roles: {', '.join(sorted(ACTING))}")
        if not can_see(principal, case):
            if any(h.unit_id == principal.unit_id for h in case.history):
                # The case was at their unit and has moved on since the version they hold:
                # their view is stale (412), which says more than "not yours" (403).
                matching_version(case, if_match)
            raise Forbidden("unit officers may act only on cases at their own unit")
        expected = matching_version(case, if_match)
        command = request.command()
        if photos and command.action is not Action.COMPLETE:
            raise InvalidInput("photos are evidence of `complete` only")
        now = self._clock()
        bands: tuple[str, ...] = ()
        if command.action is Action.COMPLETE and photos:
            # Refusals (403/409/422) before the photos are decoded, stored or compared.
            self._apply(
                case, command.model_copy(update={"photos": (_PENDING_PHOTO,)}), principal, now
            )
            command, bands = await self._with_evidence(case, command, photos)
        t = self._apply(case, command, principal, now)
        if t.duplicate_of is not None and await self._cases.get(t.duplicate_of) is None:
            raise InvalidInput(f"duplicate_of: no report {t.duplicate_of}")
        await self._commit(case, t, expected, correlation_id, bands)
        return t.case

    def _apply(
        self, case: Case, command: Command, actor: Principal | Reporter, now: datetime
    ) -> Transition:
        return apply(
            case, command, actor=actor, units=self.rules.units, now=now, policy=self.rules.policy
        )

    async def _with_evidence(
        self, case: Case, command: Command, raws: Sequence[bytes]
    ) -> tuple[Command, tuple[str, ...]]:
        """The command with its stored photos and integrity flags, and the photos' pHash bands."""
        processed = [await asyncio.to_thread(process_photo, raw) for raw in raws]
        flags, bands = await self.check_evidence(case, processed)
        refs = tuple([p.to_ref(await self._photos.put(p)) for p in processed])
        return command.model_copy(update={"photos": refs, "flags": flags}), bands

    async def check_evidence(
        self, case: Case, photos: Sequence[ProcessedPhoto]
    ) -> tuple[tuple[EvidenceFlag, ...], tuple[str, ...]]:
        """The flags of DOMAIN.md "Evidence integrity" for `photos`, and their pHash bands."""
        bands = tuple(dict.fromkeys(b for p in photos for b in phash_bands(p.phash)))
        others = await self._cases.evidence_phashes(
            bands, case.report_id, self._evidence_candidates
        )
        location = (case.location.lat, case.location.lon) if case.location else None
        result = check_evidence(
            [PhotoFacts(p.sha256, p.phash, p.taken_at, p.gps) for p in photos],
            submitted_at=case.history[0].at,
            location=location,
            own_phashes=[p.phash for p in case.photos],
            other_phashes=others,
            tz=self.rules.policy.timezone,
            max_distance_m=self.rules.evidence_distance_m,
        )
        return result.flags, bands

    # --- citizens ------------------------------------------------------------------------------

    async def reopen_by_reporter(
        self, tracking_code: str, note: str, *, correlation_id: str
    ) -> Case:
        """The reporter reopens their done report (within the city's window); return the case.

        The reporter holds no version: a concurrent change is retried on the fresh case (which
        may then refuse: 409). Raises NotFound, Forbidden (window passed), TransitionNotAllowed."""
        for _ in range(REPORTER_RETRIES):
            case = await self.by_code(tracking_code)
            t = self._apply(
                case,
                Command(action=Action.REOPEN, note=note),
                Reporter(tracking_code),
                self._clock(),
            )
            try:
                await self._commit(case, t, case.version, correlation_id)
            except StaleVersion:
                continue
            return t.case
        raise TransitionNotAllowed("the report is changing right now; try again")

    async def rate(
        self,
        tracking_code: str,
        stars: int,
        comment: str | None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Store the reporter's rating: once, only while the report is done (409 otherwise)."""
        case = await self.by_code(tracking_code)
        if case.state is not ReportState.DONE:
            raise TransitionNotAllowed(
                f"a report can be rated once it is done; it is {case.state.value}",
                state=case.state.value,
            )
        rated_at = self._clock()
        rating = {
            "stars": stars,
            "comment": (comment or "").strip() or None,
            "rated_at": rated_at,
            "version": case.version,
        }
        event = ReportRated(
            event_id=derive_id(case.report_id, "rated"),
            occurred_at=rated_at,
            report_id=uuid.UUID(case.report_id),
            correlation_id=correlation_id or f"rating:{case.report_id}",
            stars=stars,
            unit_id=case.unit_id,
            tracking_code=case.tracking_code,
            version=case.version,
        )
        if not await self._cases.rate(case.report_id, rating, event):
            if await self._cases.rating(case.report_id) is not None:
                raise TransitionNotAllowed("this report has already been rated")
            raise TransitionNotAllowed("the report is no longer done")
        self._metrics.ratings.labels(str(stars)).inc()
        await self._publish(case.report_id)
        return rating

    async def by_code(self, tracking_code: str) -> Case:
        case = await self._cases.by_tracking_code(tracking_code.strip().upper())
        if case is None:
            raise NotFound(f"no report with tracking code {tracking_code}")
        return case

    # --- writing and publishing ----------------------------------------------------------------

    async def _commit(
        self,
        before: Case,
        t: Transition,
        expected_version: int,
        correlation_id: str,
        bands: Sequence[str] = (),
    ) -> None:
        event = status_event(t, correlation_id)
        await self._cases.replace(t.case, expected_version, event, bands)
        self._metrics.transition(t, before.history[-1].at)
        log.info(
            "case_transition",
            report_id=t.case.report_id,
            action=t.action.value,
            to_state=t.to_state.value,
            version=t.version,
            flags=[f.value for f in t.flags],
        )
        if self._live is not None:
            self._live.notify(t.case.tracking_code)
        await self._publish(t.case.report_id)

    async def _publish(self, report_id: str) -> None:
        """Flush the case's outbox; wait at most `publish_wait_s`, never fail the request."""
        task = asyncio.create_task(self._flush(report_id))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)
        await asyncio.wait({task}, timeout=self._publish_wait_s)

    async def _flush(self, report_id: str) -> None:
        try:
            if not await self._outbox.flush(report_id):
                log.warning("status_change_publish_deferred", report_id=report_id)
        except Exception as exc:  # the sweep publishes it later; the write is committed
            log.warning("status_change_publish_failed", report_id=report_id, error=repr(exc))

    async def start(self) -> None:
        """Nothing to start (a Runner, so that `stop` runs while the broker is still up)."""

    async def stop(self) -> None:
        await self.aclose()

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Let publishes in flight finish (bounded), then cancel the rest: the sweep has them."""
        pending = set(self._publishing)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            for task in late:
                task.cancel()

"""Accepting a report, whatever its channel: seal the contact, assign the code, store, publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aduan_shared.errors import ServiceUnavailable
from aduan_shared.events import StatusAsked, derive_id, utcnow
from aduan_shared.kafka import Publisher, PublishFailed
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.photo_store import MemoryPhotoStore, PhotoStore
from aduan_shared.photos import ProcessedPhoto
from aduan_shared.vault import seal
from pydantic import BaseModel

from aduan_intake.adapters.store import ReportStore, TrackingCodeTaken, Vault
from aduan_intake.channels import WALK_IN, Channel
from aduan_intake.domain import ReportSubmission, new_report_id, received_event, reporter_ref_for
from aduan_intake.photo_fetch import PhotoFetcher
from aduan_intake.ratelimit import RateLimiter

log = get_logger(__name__)
MAX_TRACKING_ATTEMPTS = 8


class Accepted(BaseModel):
    report_id: str
    tracking_code: str
    status: Literal["received"] = "received"


@dataclass(frozen=True)
class ChannelSecrets:
    """Webhook secrets; an empty one makes its channel refuse every request (401)."""

    twitter_consumer_secret: str = ""
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    sms_gateway_secret: str = ""


@dataclass
class IntakeDeps:
    channels: tuple[Channel, ...]
    api_keys: dict[str, str]
    vault_public_key: str
    tracking_prefix: str
    reports: ReportStore
    vault: Vault
    publisher: Publisher
    metrics: ServiceMetrics
    public_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0.1, 5))
    secrets: ChannelSecrets = field(default_factory=ChannelSecrets)
    photos: PhotoStore = field(default_factory=MemoryPhotoStore)
    complaint_addresses: tuple[str, ...] = ()  # e-mail must be addressed to one (empty: any)
    photo_fetcher: PhotoFetcher | None = None  # channel media by URL (None: not fetched)


class Pipeline:
    """The one way a report gets in: 202 only after the broker acknowledged its event."""

    def __init__(self, deps: IntakeDeps) -> None:
        self.deps = deps
        self._received = deps.metrics.counter(
            "reports_received_total", "Reports accepted (202)", ("channel",)
        )
        self._asked = deps.metrics.counter(
            "status_questions_total", "Status questions passed to the notifier", ("found",)
        )

    async def accept(
        self,
        submission: ReportSubmission,
        contact: dict[str, Any] | None,
        correlation_id: str,
        photos: tuple[ProcessedPhoto, ...] = (),
    ) -> Accepted:
        """Store and publish the report (idempotent per channel message); raise
        PublishFailed (503) with nothing left behind when the broker does not acknowledge."""
        deps = self.deps
        report_id = new_report_id(submission)
        reporter_ref = reporter_ref_for(report_id) if contact else None
        if contact and reporter_ref is not None:
            await deps.vault.put(
                reporter_ref, seal(deps.vault_public_key, contact), submission.channel
            )
        refs = tuple([p.to_ref(await deps.photos.put(p)) for p in photos])
        exif_gps = next((p.gps for p in photos if p.gps is not None), None)
        now = utcnow()
        for attempt in range(MAX_TRACKING_ATTEMPTS):  # a code taken by another report: next one
            event = received_event(
                submission,
                report_id=report_id,
                now=now,
                correlation_id=correlation_id,
                tracking_prefix=deps.tracking_prefix,
                reporter_ref=reporter_ref,
                attempt=attempt,
                photos=refs,
                exif_gps=exif_gps,
            )
            try:
                stored, inserted = await deps.reports.accept(event)
                break
            except TrackingCodeTaken:
                log.warning("tracking_code_collision", attempt=attempt)
        else:
            raise ServiceUnavailable("could not assign a tracking code; retry", retry_after_s=1)
        try:
            await deps.publisher.publish(stored)
        except PublishFailed:
            if inserted:  # nothing half-written: the caller was told to retry
                await deps.reports.forget(stored)
                if reporter_ref is not None:
                    await deps.vault.forget(reporter_ref)
            raise
        self._received.labels(submission.channel).inc()
        log.info(
            "report_received",
            report_id=str(stored.report_id),
            channel=submission.channel,
            duplicate=not inserted,
            walk_in=submission.channel in WALK_IN,
        )
        return Accepted(report_id=str(stored.report_id), tracking_code=stored.tracking_code)

    async def ask_status(
        self,
        channel: str,
        external_id: str,
        tracking_code: str | None,
        contact: dict[str, Any] | None,
        correlation_id: str,
    ) -> StatusAsked:
        """Pass a status question to the notifier, which answers on the asker's channel.

        The asker's reply address is sealed in the vault like a reporter's; the event names the
        report when the code is known. Idempotent per channel message; PublishFailed (503) leaves
        nothing behind.
        """
        deps = self.deps
        report = await deps.reports.by_tracking_code(tracking_code) if tracking_code else None
        asker_ref = f"ask-{derive_id('asker', channel, external_id).hex}" if contact else None
        if contact and asker_ref is not None:
            await deps.vault.put(asker_ref, seal(deps.vault_public_key, contact), channel)
        now = utcnow()
        event = StatusAsked(
            event_id=derive_id("status-asked", channel, external_id),
            occurred_at=now,
            report_id=(
                report.event.report_id
                if report is not None
                else derive_id("status-question", channel, external_id)
            ),
            correlation_id=correlation_id,
            tracking_code=tracking_code,
            found=report is not None,
            channel=channel,
            external_id=external_id,
            asker_ref=asker_ref,
            asked_at=now,
        )
        try:
            await deps.publisher.publish(event)
        except PublishFailed:
            if asker_ref is not None:
                await deps.vault.forget(asker_ref)
            raise
        self._asked.labels(str(report is not None).lower()).inc()
        log.info("status_question", channel=channel, found=report is not None)
        return event

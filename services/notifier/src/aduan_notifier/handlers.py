"""Kafka subscribers: reports, status changes, SLA signals and status questions become delivery
records (rendered once, here); the dispatcher sends them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from aduan_shared.consuming import Subscriptions
from aduan_shared.events import (
    Event,
    ReportReceived,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusAsked,
    StatusChanged,
)
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_notifier.adapters.deliveries import DeliveryStore
from aduan_notifier.adapters.reports import ReportOrigins
from aduan_notifier.adapters.states import ReportStates
from aduan_notifier.domain import (
    VERIFIER,
    Notification,
    follower_updates,
    notifications_for,
    status_answer,
)
from aduan_notifier.templates import Language, render

log = get_logger(__name__)


def _nothing() -> None:
    return None


@dataclass
class Deps:
    deliveries: DeliveryStore
    states: ReportStates
    metrics: ServiceMetrics
    origins: ReportOrigins | None = None
    #: The language of a notification's recipient (reporters: the setting; units: contacts.yaml).
    language_of: Callable[[Notification], Language] = field(default=lambda n: "id")
    #: Called after something was planned (wakes the dispatcher).
    planned_hook: Callable[[], None] = _nothing
    verifier: str = VERIFIER
    group: str = "notifier"


def create_router(deps: Deps) -> KafkaRouter:
    subscriptions = Subscriptions(deps.group)
    planned = deps.metrics.counter(
        "notifications_planned_total",
        "Notifications recorded for delivery",
        ("recipient_kind", "template"),
    )

    async def plan(event: Event, notifications: list[Notification]) -> None:
        new = False
        for notification in notifications:
            language = deps.language_of(notification)
            rendered = replace(
                notification, text=render(notification.template, notification.params, language)
            )
            if await deps.deliveries.plan(event, rendered):
                new = True
                planned.labels(notification.recipient_kind, notification.template).inc()
                log.info(
                    "notification_planned",
                    template=notification.template,
                    recipient_kind=notification.recipient_kind,
                )
        if new:
            deps.planned_hook()

    @subscriptions.on(ReportReceived)
    async def on_received(event: ReportReceived) -> None:
        """Keep the report's origin (the id replies thread to) and confirm its tracking code."""
        if deps.origins is not None:
            await deps.origins.record(event)
        await plan(event, notifications_for(event))

    @subscriptions.on(StatusChanged)
    async def on_status_changed(event: StatusChanged) -> None:
        await deps.states.record(event)
        await plan(event, notifications_for(event, verifier=deps.verifier))
        if event.to_state is ReportState.DONE:
            followers = await deps.states.followers_of(str(event.report_id))
            for theirs, notification in follower_updates(event, followers):
                await plan(theirs, [notification])

    @subscriptions.on(StatusAsked)
    async def on_status_asked(event: StatusAsked) -> None:
        """Answer with the latest state this service has seen (`received` if none yet)."""
        state = await deps.states.state_of(str(event.report_id)) if event.found else None
        answer = status_answer(event, state)
        await plan(event, [answer] if answer else [])

    async def on_sla(event: SlaWarning | SlaBreached) -> None:
        facts = await deps.states.facts_of(str(event.report_id))
        await plan(event, notifications_for(event, facts))

    @subscriptions.on(SlaWarning)
    async def on_warning(event: SlaWarning) -> None:
        await on_sla(event)

    @subscriptions.on(SlaBreached)
    async def on_breach(event: SlaBreached) -> None:
        await on_sla(event)

    return subscriptions.router()

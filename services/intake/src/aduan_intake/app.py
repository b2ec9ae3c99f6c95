"""Intake service: every channel's message becomes one `received` event, acknowledged by Kafka."""

from __future__ import annotations

import asyncio

from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city
from aduan_shared.events import ReportReceived, StatusAsked
from aduan_shared.photo_store import GridFSPhotoStore
from aduan_shared.photos import warm_up as photos_warm_up
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_intake.adapters.store import MongoReportStore, MongoVault
from aduan_intake.api import IntakeDeps, create_api
from aduan_intake.channels import DEFAULT_CHANNELS
from aduan_intake.config import Settings
from aduan_intake.form import create_form_router
from aduan_intake.handlers import StatusDeps, create_router
from aduan_intake.open311 import catalog_from_city, create_open311
from aduan_intake.photo_fetch import DEFAULT_HOSTS, PhotoFetcher
from aduan_intake.pipeline import ChannelSecrets, Pipeline
from aduan_intake.ratelimit import RateLimiter
from aduan_intake.smtp import start_smtp

DESCRIPTION = "The front door: citizen reports from every channel, published once acknowledged."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("intake", settings)
    reports = MongoReportStore(core.db)
    photos = GridFSPhotoStore(core.db)
    deps = IntakeDeps(
        channels=DEFAULT_CHANNELS,
        api_keys={k: v.get_secret_value() for k, v in settings.api_keys.items()},
        vault_public_key=settings.vault_public_key,
        tracking_prefix=settings.tracking_prefix,
        reports=reports,
        vault=MongoVault(core.db),
        publisher=core.publisher(ReportReceived, StatusAsked),
        metrics=core.metrics,
        public_limiter=RateLimiter(settings.public_rate_per_minute / 60, settings.public_burst),
        photos=photos,
        complaint_addresses=settings.complaint_addresses,
        photo_fetcher=PhotoFetcher(settings.photo_url_hosts or DEFAULT_HOSTS),
        secrets=ChannelSecrets(
            twitter_consumer_secret=settings.twitter_consumer_secret.get_secret_value(),
            meta_app_secret=settings.meta_app_secret.get_secret_value(),
            meta_verify_token=settings.meta_verify_token.get_secret_value(),
            sms_gateway_secret=settings.sms_gateway_secret.get_secret_value(),
        ),
    )
    pipeline = Pipeline(deps)
    core.broker.include_router(create_router(StatusDeps(reports, core.metrics)))
    city = load_city(resolve_city_dir(settings.city_dir))
    open311 = catalog_from_city(city)
    smtp: list[asyncio.Server] = []

    async def warm_up_photos() -> None:
        await asyncio.to_thread(photos_warm_up)

    async def start_mail() -> None:
        if settings.smtp_port:
            smtp.append(await start_smtp(pipeline, settings.smtp_host, settings.smtp_port))

    async def stop_mail() -> None:
        for server in smtp:
            server.close()
            await server.wait_closed()
        if deps.photo_fetcher is not None:
            await deps.photo_fetcher.aclose()

    return build_app(
        ServiceParts(
            core,
            title="Aduan intake",
            description=DESCRIPTION,
            routers=[
                create_api(deps, pipeline),
                create_form_router(city),
                create_open311(pipeline, reports, open311),
            ],
            on_startup=[
                warm_up_photos,
                reports.ensure_indexes,
                reports.ensure_status_indexes,
                photos.ensure_indexes,
                start_mail,
            ],
            on_shutdown=[stop_mail],
        )
    )

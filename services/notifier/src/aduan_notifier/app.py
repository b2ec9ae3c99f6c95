"""Notifier service: citizens and units hear what happened, on their own channel, at most once."""

from __future__ import annotations

from datetime import timedelta

from aduan_shared.events import NotificationSent
from aduan_shared.logging import get_logger
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_notifier.adapters.deliveries import MongoDeliveryStore
from aduan_notifier.adapters.reports import MongoReportOrigins
from aduan_notifier.adapters.states import MongoReportStates
from aduan_notifier.adapters.vault import MongoVaultReader
from aduan_notifier.api import create_api
from aduan_notifier.config import Settings
from aduan_notifier.dispatcher import Dispatcher, Policy
from aduan_notifier.domain import Notification
from aduan_notifier.handlers import Deps, create_router
from aduan_notifier.metrics import DeliveryMetrics
from aduan_notifier.outcomes import OutcomePublisher
from aduan_notifier.resolver import Resolver
from aduan_notifier.routing import EMAIL, JAKI, LAPOR, META, SMS, UNIT_WEBHOOK, WHATSAPP, X_DM
from aduan_notifier.senders.base import HttpClient, Sender
from aduan_notifier.senders.email import EmailSender, SmtpConfig
from aduan_notifier.senders.jaki import JakiSender
from aduan_notifier.senders.lapor import LaporSender
from aduan_notifier.senders.meta import MetaSender
from aduan_notifier.senders.sms import SmsSender
from aduan_notifier.senders.unit_webhook import UnitWebhookSender
from aduan_notifier.senders.whatsapp import WhatsAppSender
from aduan_notifier.senders.x_dm import XDmSender
from aduan_notifier.templates import LANGUAGES, Language
from aduan_notifier.unit_contacts import UnitDirectory

log = get_logger(__name__)

DESCRIPTION = "Tells reporters and units what happened, on their own channel, at most once."


def create_senders(settings: Settings, client: HttpClient) -> dict[str, Sender]:
    """The senders whose endpoint and credential are configured (the others stay unused)."""
    s = settings
    smtp = SmtpConfig(
        host=s.smtp_host,
        port=s.smtp_port,
        sender=s.mail_from,
        domain=s.mail_domain,
        username=s.smtp_username,
        password=s.smtp_password.get_secret_value(),
        starttls=s.smtp_starttls,
        timeout_s=s.send_timeout_s,
    )
    secret = {
        "sms": s.sms_api_key.get_secret_value(),
        "whatsapp": s.whatsapp_token.get_secret_value(),
        "x": s.x_bearer_token.get_secret_value(),
        "meta": s.meta_page_access_token.get_secret_value(),
        "lapor": s.lapor_api_key.get_secret_value(),
        "jaki": s.jaki_webhook_secret.get_secret_value(),
        "units": s.unit_webhook_secret.get_secret_value(),
    }
    senders: dict[str, Sender] = {}
    if s.sms_url and secret["sms"]:
        senders[SMS] = SmsSender(client, s.sms_url, secret["sms"])
    if secret["whatsapp"]:
        senders[WHATSAPP] = WhatsAppSender(
            client, s.whatsapp_graph_url, secret["whatsapp"], s.whatsapp_phone_number_id
        )
    if secret["x"]:
        senders[X_DM] = XDmSender(client, s.x_api_url, secret["x"])
    if secret["meta"]:
        senders[META] = MetaSender(client, s.meta_graph_url, secret["meta"], s.meta_page_id)
    if s.smtp_host:
        senders[EMAIL] = EmailSender(smtp)
    if s.lapor_url and secret["lapor"]:
        senders[LAPOR] = LaporSender(client, s.lapor_url, secret["lapor"])
    if s.jaki_webhook_url and secret["jaki"]:
        senders[JAKI] = JakiSender(client, s.jaki_webhook_url, secret["jaki"])
    if secret["units"]:
        senders[UNIT_WEBHOOK] = UnitWebhookSender(client, secret["units"])
    return senders


def policy_of(s: Settings) -> Policy:
    return Policy(
        max_attempts=s.max_attempts,
        backoff_base_s=s.backoff_base_s,
        backoff_max_s=s.backoff_max_s,
        send_timeout_s=s.send_timeout_s,
        breaker_threshold=s.breaker_threshold,
        breaker_reset_s=s.breaker_reset_s,
        rate_limits=s.rate_limits,
        rate_burst=s.rate_burst,
        interval_s=s.dispatch_interval_s,
        batch=s.dispatch_batch,
        concurrency=s.dispatch_concurrency,
        lost_after_s=s.lost_after_s,
        language=s.language,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("notifier", settings)
    deliveries = MongoDeliveryStore(core.db)
    states = MongoReportStates(core.db)
    origins = MongoReportOrigins(core.db)
    units = UnitDirectory.load(settings.contacts_path())
    key = settings.vault_private_key.get_secret_value() if settings.vault_private_key else None
    if key is None:
        log.warning("vault_key_missing", effect="reporters' deliveries fail: contact_unreadable")
    if units.empty:
        log.warning("unit_contacts_missing", path=str(settings.contacts_path()))
    vault = MongoVaultReader(core.mongo, settings.vault_database, key)
    client = HttpClient(settings.send_timeout_s)
    dispatcher = Dispatcher(
        deliveries,
        Resolver(vault, units, origins, timedelta(seconds=settings.origin_wait_s)),
        create_senders(settings, client),
        OutcomePublisher(
            core.publisher(NotificationSent), core.broker, settings.kafka_publish_timeout_s
        ),
        DeliveryMetrics(core.metrics),
        policy_of(settings),
    )

    def language_of(notification: Notification) -> Language:
        if notification.recipient_kind == "unit":
            contact = units.lookup(notification.recipient)
            if contact and contact.language in LANGUAGES:
                return contact.language
        return settings.language

    deps = Deps(
        deliveries,
        states,
        core.metrics,
        origins=origins,
        language_of=language_of,
        planned_hook=dispatcher.wake,
        verifier=settings.verifier_unit_id,
        group=settings.consumer_group,
    )
    core.broker.include_router(create_router(deps))
    return build_app(
        ServiceParts(
            core,
            title="Aduan notifier",
            description=DESCRIPTION,
            routers=[create_api(deliveries)],
            on_startup=[deliveries.ensure_indexes, states.ensure_indexes],
            on_shutdown=[client.aclose],
            background=[dispatcher],
            state={"dispatcher": dispatcher, "deliveries": deliveries},
        )
    )

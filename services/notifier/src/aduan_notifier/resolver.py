"""Where a delivery goes: the vault's contact or the unit's, and the report's origin (I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

from aduan_notifier.adapters.deliveries import Delivery
from aduan_notifier.adapters.reports import ReportOrigins
from aduan_notifier.adapters.vault import VaultEntry, VaultReader, VaultUnreadable
from aduan_notifier.domain import LAPOR_COMPLAINT
from aduan_notifier.routing import (
    NeedsReport,
    Target,
    Unreachable,
    reporter_target,
    unit_target,
)
from aduan_notifier.unit_contacts import UnitDirectory


class Resolver:
    def __init__(
        self,
        vault: VaultReader,
        units: UnitDirectory,
        origins: ReportOrigins,
        origin_wait: timedelta,
    ) -> None:
        self._vault, self._units, self._origins = vault, units, origins
        self._origin_wait = origin_wait

    async def target(self, delivery: Delivery, now: datetime) -> Target | Unreachable | NeedsReport:
        """The target of `delivery` (contacts opened here live only in the returned value)."""
        if delivery.recipient_kind == "unit":
            return unit_target(self._units.lookup(delivery.recipient))
        if delivery.recipient == LAPOR_COMPLAINT:  # an anonymous complaint: no vault entry
            entry: VaultEntry | None = VaultEntry({}, "lapor")
        else:
            try:
                entry = await self._vault.open(delivery.recipient)
            except VaultUnreadable:
                return Unreachable("contact_unreadable")
        if entry is None:
            return Unreachable("no_contact")
        origin = await self._origins.origin_of(delivery.report_id)
        external_id = delivery.reply_external_id or (origin.external_id if origin else None)
        waited = now - delivery.created_at >= self._origin_wait
        return reporter_target(
            delivery.source_channel or (origin.channel if origin else None) or entry.channel,
            entry.contact,
            external_id,
            report_known=origin is not None or delivery.reply_external_id is not None or waited,
        )

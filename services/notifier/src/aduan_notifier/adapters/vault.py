"""The reporter vault, read-only: intake's `reporter_vault` collection, opened with the key only
the notifier holds.

Intake seals each contact with the vault's public key and stores `{_id: reporter_ref, sealed,
channel}` in its own database; the notifier reads that collection (database
NOTIFIER_VAULT_DATABASE, default `aduan_intake`) and never writes it. In production the
notifier's database user needs only `find` on that one collection. Contacts are opened here
and nowhere else, held only while a message is sent, and never logged or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aduan_shared.coalescing import Reads
from aduan_shared.mongo import Document
from aduan_shared.vault import unseal
from cryptography.exceptions import InvalidTag
from pymongo import AsyncMongoClient


class VaultUnreadable(Exception):
    """The entry exists but cannot be opened (wrong key, tampered, or no key configured)."""


@dataclass(frozen=True)
class VaultEntry:
    contact: dict[str, Any]
    channel: str | None


class VaultReader(Protocol):
    async def open(self, ref: str) -> VaultEntry | None:
        """The contact behind `ref`, or None if the vault holds none; VaultUnreadable if the
        entry cannot be opened."""
        ...


class MongoVaultReader:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        private_key: str | None,
        collection: str = "reporter_vault",
    ) -> None:
        self._vault = client.get_database(database)[collection]
        # The dispatcher's concurrent deliveries: one query for their contacts.
        self._reads = Reads(self._vault, {"sealed": 1, "channel": 1})
        self._key = private_key

    async def open(self, ref: str) -> VaultEntry | None:
        doc = await self._reads.by_id(ref)
        if doc is None:
            return None
        if not self._key:
            raise VaultUnreadable("ADUAN_VAULT_PRIVATE_KEY is not configured")
        try:
            contact = unseal(self._key, str(doc["sealed"]))
        except (InvalidTag, ValueError, KeyError) as exc:
            raise VaultUnreadable(type(exc).__name__) from exc
        channel = doc.get("channel")
        return VaultEntry(contact, str(channel) if channel else None)

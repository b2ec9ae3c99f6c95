"""Units' contacts, city data from `contacts.yaml`: unit id → e-mail and/or webhook, with patterns
for the units the file does not list (the 267 kelurahan need no line each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from aduan_notifier.routing import UnitContact


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    email: str | None = None
    webhook: str | None = None
    language: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    defaults: _Entry = _Entry()
    units: dict[str, _Entry] = {}


def slug(unit_id: str) -> str:
    """`kelurahan:31.74.03.1002` → `kelurahan-31-74-03-1002` (safe in an address or a URL)."""
    return "".join(c if c.isalnum() else "-" for c in unit_id.lower()).strip("-")


class UnitDirectory:
    """Looks a unit's contact up: its own entry, each missing field filled from the patterns
    (`{slug}`, `{unit_id}` and `{kind}` are replaced). An empty directory knows no unit."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        parsed = _File.model_validate(data or {})
        self._defaults = parsed.defaults
        self._units = parsed.units

    @property
    def empty(self) -> bool:
        """True if the directory knows no unit at all (no entries, no patterns)."""
        return not self._units and not (self._defaults.email or self._defaults.webhook)

    @classmethod
    def load(cls, path: Path | None) -> UnitDirectory:
        """The directory in `path`; an absent path (or file) gives an empty directory."""
        if path is None or not path.is_file():
            return cls()
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def lookup(self, unit_id: str) -> UnitContact | None:
        own = self._units.get(unit_id, _Entry())
        values = {"slug": slug(unit_id), "unit_id": unit_id, "kind": unit_id.split(":")[0]}

        def pick(mine: str | None, pattern: str | None) -> str | None:
            if mine:
                return mine
            return pattern.format_map(values) if pattern else None

        contact = UnitContact(
            email=pick(own.email, self._defaults.email),
            webhook=pick(own.webhook, self._defaults.webhook),
            language=own.language or self._defaults.language,
        )
        return contact if contact.email or contact.webhook else None

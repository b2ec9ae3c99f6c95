"""Who sees which cases: the unit scope of CONTRACTS.md "disposition" as plain functions."""

from __future__ import annotations

from typing import Any

from aduan_shared.auth import Principal, Role
from aduan_shared.errors import Forbidden
from aduan_shared.events import ReportState

from aduan_disposition.domain import Case

#: Roles that read every case.
READ_ALL = frozenset({Role.CRM_ADMIN.value, Role.VERIFIER.value, Role.LEADER.value})
#: Roles that may ask for a transition at all (lifecycle.apply decides which one, where).
ACTING = frozenset({Role.UNIT_OFFICER.value, Role.CRM_ADMIN.value, Role.VERIFIER.value})
OFFICER = Role.UNIT_OFFICER.value


def officer_unit(principal: Principal) -> str | None:
    """The unit a unit officer is confined to (None when they read all, or have no unit)."""
    if principal.has_any(READ_ALL) or OFFICER not in principal.roles:
        return None
    return principal.unit_id


def can_see(principal: Principal, case: Case) -> bool:
    """Admin, verifier and leader see every case; a unit officer the cases at their unit, and
    a case in coordination that names their unit as the target (they may accept it)."""
    if principal.has_any(READ_ALL):
        return True
    unit = principal.unit_id if OFFICER in principal.roles else None
    if not unit:
        return False
    targeted = case.state is ReportState.COORDINATION and case.coordination_target_id == unit
    return case.unit_id == unit or targeted


def list_scope(principal: Principal, unit_id: str | None) -> dict[str, Any]:
    """The database filter that confines a listing to what `principal` may see.

    Raises Forbidden for a role that reads no cases, an officer without a unit, or an officer
    asking for another unit's cases (403, never another unit's data)."""
    if principal.has_any(READ_ALL):
        return {"unit_id": unit_id} if unit_id else {}
    own = principal.unit_id if OFFICER in principal.roles else None
    if OFFICER not in principal.roles:
        raise Forbidden(f"listing cases requires one of the roles: {', '.join(sorted(READ_ALL))}")
    if not own:
        raise Forbidden("your token names no unit")
    if unit_id and unit_id != own:
        raise Forbidden("unit officers may list only their own unit's cases")
    if unit_id:
        return {"unit_id": own}
    return {"$or": [{"unit_id": own}, {"state": "coordination", "coordination_target_id": own}]}

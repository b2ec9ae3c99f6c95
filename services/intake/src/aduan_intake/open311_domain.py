"""Open311 GeoReport v2 in Aduan's terms: services, filters, submissions and what a report
shows. Pure functions, no I/O; the HTTP side is `open311.py`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aduan_shared.errors import AduanError
from aduan_shared.events import ReportState
from aduan_shared.privacy import redact, round_coordinate
from pydantic import ValidationError

from aduan_intake.adapters.store import CLOSED_STATES, ReportQuery, StoredReport
from aduan_intake.domain import Point, ReporterContact, ReportSubmission

OPEN311 = "open311"  # the channel id of reports submitted through Open311
WINDOW = timedelta(days=90)  # the spec's default (and largest) span of GET requests
MAX_RESULTS = 1000  # the spec's default query limit
MAX_DESCRIPTION = 4000  # the spec's limit on description
#: Aduan's field names → Open311's, for error descriptions.
OPEN311_NAMES = {"address_text": "address_string", "name": "first_name/last_name"}
#: The one attribute every service offers: the reporter may opt in to a public report.
VISIBILITY_ATTRIBUTE = {
    "variable": True,
    "code": "visibility",
    "datatype": "singlevaluelist",
    "required": False,
    "datatype_description": "private (default) or public",
    "order": 1,
    "description": "Siapa yang boleh melihat laporan ini? Laporan publik tampil di daftar "
    "publik (data pribadi disamarkan, lokasi dibulatkan ±100 m).",
    "values": [
        {"key": "private", "name": "Privat (hanya pelapor)"},
        {"key": "public", "name": "Publik"},
    ],
}


class Open311Error(AduanError):
    """An Open311 error: its HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


# --- the city's services ------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    group: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Open311Catalog:
    """The services (the city's categories) and the units' names (`agency_responsible`)."""

    services: tuple[Service, ...]
    unit_names: dict[str, str] = field(default_factory=dict)

    def by_code(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def by_name(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


def service_group(route: str, opd_names: dict[str, str]) -> str:
    """A category's group: the OPD of its first target (`sudin:bina-marga` → its name), else
    the area level (`kelurahan` → "Kelurahan")."""
    level, _, opd = route.partition(":")
    return opd_names.get(opd, opd) if opd else level.capitalize()


def service_json(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.name,
        "metadata": False,  # the one attribute (visibility) is optional
        "type": "realtime",
        "keywords": ", ".join(service.keywords),
        "group": service.group,
    }


# --- what a report shows ------------------------------------------------------------------------


def w3c(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_json(report: StoredReport, catalog: Open311Catalog, public: bool) -> dict[str, Any]:
    """A report as Open311 shows it. Only a public report shows its description, address and
    location (personal data redacted, coordinates rounded to about 100 m); a private one shows
    its status and service only."""
    event, status = report.event, report.status
    state = status.state if status else ReportState.RECEIVED
    service = catalog.by_name(report.category) if report.category else None
    unit_id = status.unit_id if status else None
    location = event.location if public else None
    return {
        "service_request_id": event.tracking_code,
        "status": "closed" if state in CLOSED_STATES else "open",
        "status_notes": state.label,
        "service_name": report.category,
        "service_code": service.code if service else None,
        "description": redact(event.description) if public else None,
        "agency_responsible": catalog.unit_names.get(unit_id, unit_id) if unit_id else None,
        "service_notice": None,
        "requested_datetime": w3c(event.submitted_at),
        "updated_datetime": w3c(status.at if status else event.submitted_at),
        "expected_datetime": w3c(status.expected_at) if status and status.expected_at else None,
        "address": redact(event.address_text) if public and event.address_text else None,
        "address_id": None,
        "zipcode": None,
        "lat": round_coordinate(location.lat) if location else None,
        "long": round_coordinate(location.lon) if location else None,
        "media_url": None,  # photos are not served publicly (yet)
    }


# --- reading requests ---------------------------------------------------------------------------


def json_only(fmt: str) -> None:
    """Refuse (406) every format but JSON: `.xml` is not offered."""
    if fmt.lower() != "json":
        raise Open311Error(406, f"format {fmt!r} is not offered here: use .json (JSON only)")


def _split(values: Iterable[str]) -> list[str]:
    """Values declared several times and/or comma delimited."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _date(params: Mapping[str, list[str]], name: str) -> datetime | None:
    raw = (params.get(name) or [""])[-1].strip()
    if not raw:
        return None
    raw = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw)  # an unencoded "+07:00" arrives as " 07:00"
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Open311Error(
            400, f"{name} must be a W3C datetime with a timezone, e.g. 2010-01-01T00:00:00Z"
        )
    return at


def listing_query(
    params: Mapping[str, list[str]], catalog: Open311Catalog, now: datetime
) -> ReportQuery:
    """The `GET requests` filters (query parameter → its values); 400 for a bad date, span,
    status or service_code."""
    codes = tuple(c.upper() for c in _split(params.get("service_request_id", [])))
    if len(codes) > MAX_RESULTS:
        raise Open311Error(400, f"at most {MAX_RESULTS} service_request_id at once")
    if codes:  # "this overrides all other arguments"
        return ReportQuery(start=now, end=now, tracking_codes=codes)
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > WINDOW:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    if start is None:  # the 90 days up to end_date, or up to now
        end = end or now
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    names = []
    for code in _split(params.get("service_code", [])):
        service = catalog.by_code(code)
        if service is None:
            raise Open311Error(400, f"service_code {code!r} is not one of services.json")
        names.append(service.name)
    statuses = set(_split(params.get("status", [])))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status is open, closed or both (comma delimited)")
    closed = None if len(statuses) != 1 else statuses == {"closed"}
    return ReportQuery(start, end, tuple(names), closed, limit=MAX_RESULTS)


def submission_of(
    fields: dict[str, str], attributes: dict[str, str], catalog: Open311Catalog
) -> ReportSubmission:
    """The report a POST describes; raise Open311Error naming every problem found."""
    problems: list[tuple[int, str]] = []
    code = fields.get("service_code")
    service = catalog.by_code(code) if code else None
    if not code:
        problems.append((400, "service_code was not provided (see services.json)"))
    elif service is None:
        problems.append((404, f"service_code {code!r} was not found (see services.json)"))
    description = fields.get("description", "")
    if not description.strip():
        problems.append((400, "description was not provided: describe the problem"))
    elif len(description) > MAX_DESCRIPTION:
        problems.append((400, f"description is longer than {MAX_DESCRIPTION} characters"))
    point, address = None, fields.get("address_string")
    lat, lon = fields.get("lat"), fields.get("long")
    if (lat is None) != (lon is None):
        problems.append((400, "lat and long must both be sent"))
    elif lat is not None and lon is not None:
        try:
            point = Point(lat=float(lat), lon=float(lon))
        except (ValueError, ValidationError):
            problems.append((400, "lat and long must be WGS84 degrees"))
    elif address is None:
        why = "address_id is not supported here; " if "address_id" in fields else ""
        problems.append((400, f"a location is required: {why}send lat and long, or address_string"))
    visibility = attributes.get("visibility", "private")
    if visibility not in ("private", "public"):
        problems.append((400, "attribute[visibility] is private or public"))
    name = " ".join(n for n in (fields.get("first_name"), fields.get("last_name")) if n) or None
    contact = None
    try:
        contact = ReporterContact(name=name, phone=fields.get("phone"), email=fields.get("email"))
    except ValidationError as exc:
        problems.extend((400, _named(e)) for e in exc.errors())
    if problems:
        raise Open311Error(problems[0][0], *(p[1] for p in problems))
    try:
        return ReportSubmission.model_validate(
            {
                "channel": OPEN311,
                "external_id": fields.get("external_id"),  # an Aduan extension: safe retries
                "category": service.name if service else None,
                "description": description,
                "location": point,
                "address_text": address,
                "visibility": visibility,
                "reporter": contact,  # device_id and account_id are never an identity here
            }
        )
    except ValidationError as exc:
        raise Open311Error(400, *(_named(e) for e in exc.errors())) from exc


def _named(error: Any) -> str:
    """A validation error named by its Open311 field."""
    name = str(error["loc"][0])
    return f"{OPEN311_NAMES.get(name, name)}: {error['msg']}"

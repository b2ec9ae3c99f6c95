"""`aduan-sla-monitor ledger`: rebuild a month's ledger from the topics alone.

Reads the routed and status-changed topics (``REPORT_ROUTED``, ``REPORT_STATUS_CHANGED``) from
their first offset to the end offsets seen at start (no consumer group, nothing committed, nothing
written), folds them with the same pure code the service uses, and prints the ledger. Its CSV is
byte for byte what `GET /v1/sla/ledger?month=…&as_of=…` with `Accept: text/csv` answers once the
service has consumed the same events: the ledger is reproducible from the recorded events, and an
auditor can check a month without trusting the service's database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import IO

from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city
from aduan_shared.events import REPORT_ROUTED, REPORT_STATUS_CHANGED, ReportRouted, StatusChanged
from aduan_shared.kafka import all_partitions
from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError
from tqdm import tqdm

from aduan_sla_monitor.app import city_policy
from aduan_sla_monitor.clock import Recorded, assignments
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.ledger import Month, ledger, ledger_csv, ledger_json, month_breaches

MODELS: dict[str, type[ReportRouted] | type[StatusChanged]] = {
    REPORT_ROUTED: ReportRouted,
    REPORT_STATUS_CHANGED: StatusChanged,
}


async def read_topics(bootstrap: str, progress: IO[str] | None = sys.stderr) -> list[Recorded]:
    """Every parseable event of the two topics, up to their end offsets at the start.

    A record that does not parse is skipped (the service sent it to the DLQ instead)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = await all_partitions(consumer, list(MODELS))
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if end[tp] > start[tp]}
        events: list[Recorded] = []
        total = sum(end[tp] - start[tp] for tp in partitions)
        with tqdm(total=total, unit="event", file=progress, disable=progress is None) as bar:
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        if record.offset >= end[tp]:
                            continue
                        bar.update(1)
                        try:
                            model = MODELS[tp.topic]
                            events.append(model.model_validate_json(record.value or b""))
                        except ValidationError:
                            continue
                for tp in list(remaining):
                    if await consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
        return events
    finally:
        await consumer.stop()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="aduan-sla-monitor ledger",
        description="Rebuild a month's tunjangan ledger by replaying the topics from the start.",
    )
    parser.add_argument("--month", required=True, help="YYYY-MM (city time)")
    parser.add_argument(
        "--as-of",
        type=datetime.fromisoformat,
        help="count breaches due by this instant, with its UTC offset (default: now)",
    )
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument("--out", type=argparse.FileType("w"), default=sys.stdout)
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        month = Month.parse(args.month)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    as_of: datetime = args.as_of or datetime.now().astimezone()
    if as_of.tzinfo is None:
        print("error: --as-of needs a UTC offset, e.g. 2026-12-01T00:00:00+07:00", file=sys.stderr)
        return 2
    settings = Settings()
    city = load_city(resolve_city_dir(settings.city_dir))
    policy, head_of = city_policy(city)
    events = asyncio.run(read_topics(settings.kafka_bootstrap_servers))
    found = month_breaches(assignments(events, policy), month, as_of, head_of, policy.tz)
    lines = ledger(found, city.city.sla.penalty)
    if args.format == "csv":
        args.out.write(ledger_csv(month, lines, policy.tz))
    else:
        body = ledger_json(month, lines, city.city.sla.penalty, policy.tz)
        args.out.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    print(f"{len(events)} events, {len(found)} breaches in {month}", file=sys.stderr)
    return 0

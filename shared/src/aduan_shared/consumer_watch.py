"""When a service's consumer counts as stalled, and so must be restarted in the process.

A consumer can stop for good while its service stays up and ready: once in `make test`, after
the broker was killed and started again while its group coordinator was still loading, one
service's aiokafka consumer stopped heartbeating, was removed from its group by the broker, and
never joined again; no error was raised or logged, HTTP still answered, and its topics' lag grew
for a quarter of an hour. Kubernetes cannot see that from `/healthz` or `/readyz`. Others see
it too (aio-libs/aiokafka#1154: a consumer stuck after a broker restart or a rebalance, with no
public sign of it), and aiokafka 0.14.0, the newest release, has no fix.

So every service watches its own consumer, from what `ConsumerLag` already measures on the
broker every `KAFKA_LAG_INTERVAL_S`. A consumer is stalled when, for `KAFKA_CONSUMER_STALL_S`:

- `not_a_member`: the broker does not list it among its group's members (a rebalance takes a few
  seconds; a consumer outside its group for a minute will not come back by itself); or
- `not_consuming`: a partition assigned to it has messages its group has not committed, and it
  started no batch in that time (a consumer waiting on something that never comes).

A measurement that fails (the broker away) tells nothing, and the watch starts over once the
broker answers again. The service then restarts that subscriber: a new consumer joins the group
and goes on from the committed offsets, so nothing is lost and, handlers being idempotent,
nothing is applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stall = Literal["not_a_member", "not_consuming"]


@dataclass(frozen=True)
class ConsumerView:
    """One process's consumer of one group, as one measurement saw it."""

    group: str
    member: bool  # the broker lists this consumer among the group's members
    behind: bool  # a partition assigned to it has messages the group has not committed
    batches: int  # batches this process started handling for the group, since it started


class StallWatch:
    """Decides, measurement after measurement, whether a consumer is stalled (module doc)."""

    def __init__(self, stall_after_s: float) -> None:
        self.stall_after_s = stall_after_s
        self._outside_since: dict[str, float] = {}
        self._idle_since: dict[str, tuple[float, int]] = {}  # group → (since, batches then)

    def observe(self, view: ConsumerView, now: float) -> Stall | None:
        """What stalls the consumer as of `now`, or None."""
        group = view.group
        if view.member:
            self._outside_since.pop(group, None)
        elif now - self._outside_since.setdefault(group, now) >= self.stall_after_s:
            return "not_a_member"
        if not view.behind:
            self._idle_since.pop(group, None)
            return None
        since = self._idle_since.get(group)
        if since is None or since[1] != view.batches:  # first seen behind, or it moved on
            self._idle_since[group] = (now, view.batches)
            return None
        if now - since[0] >= self.stall_after_s:
            return "not_consuming"
        return None

    def forget(self, group: str | None = None) -> None:
        """Start over for `group` (restarted), or for every group (a measurement failed)."""
        if group is None:
            self._outside_since.clear()
            self._idle_since.clear()
        else:
            self._outside_since.pop(group, None)
            self._idle_since.pop(group, None)

"""Subscription state: the desired set, its diff against `event.get`, and the resulting rows.

Pure data (spec §2.2–2.4, §3.4). Online rows at the current handler URL are ours; rows whose
URL has our handler path (`/b24/<secret>/events`) on another host are *stale* — an old tunnel
URL — and are moved; any other handler is *foreign*: shown, never touched. Offline rows have no
URL, so an offline row is unbound only when the user explicitly turned that subscription off.
Whenever an offline subscription exists, ONOFFLINEEVENT is bound online with
options[minTimeout] so the monitor hears about new queue rows (spec §3.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from b24monitor.core.portal_errors import is_already_bound

Mode = Literal["online", "offline"]
State = Literal["bound", "pending", "error", "stale-moved", "foreign"]

OFFLINE_SIGNAL = "ONOFFLINEEVENT"
PING_EVENT = "ONAPPTEST"


@dataclass(frozen=True, order=True, slots=True)
class Subscription:
    """One wanted binding: an event code and whether it is delivered online or queued."""

    event: str
    mode: Mode = "online"


@dataclass(frozen=True, slots=True)
class Binding:
    """One row of `event.get` (spec §2.4): online rows carry a handler, offline a connector."""

    event: str
    mode: Mode
    handler: str = ""
    auth_type: str = ""
    connector: str = ""

    @property
    def subscription(self) -> Subscription:
        return Subscription(self.event, self.mode)


@dataclass(frozen=True, slots=True)
class Plan:
    """What reconcile must do, and how the portal's rows were classified."""

    bound: tuple[Subscription, ...] = ()
    to_bind: tuple[Subscription, ...] = ()
    to_unbind: tuple[Binding, ...] = ()
    stale: tuple[Binding, ...] = ()
    foreign: tuple[Binding, ...] = ()
    waiting: tuple[Subscription, ...] = ()
    """Online subscriptions that cannot be bound yet: there is no handler URL."""


@dataclass(frozen=True, slots=True)
class Call:
    """One planned event.bind/event.unbind with the subscription or binding it serves."""

    method: str
    params: Mapping[str, Any]
    subscription: Subscription
    binding: Binding | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """What the subscriptions view shows for one event × mode (or one foreign row)."""

    event: str
    mode: Mode
    state: State
    detail: str = ""
    handler: str = ""


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """The outcome of one reconcile: every row's state, sorted by event."""

    rows: tuple[SubscriptionRow, ...] = ()
    handler_url: str | None = None
    calls: int = 0

    @property
    def errors(self) -> tuple[SubscriptionRow, ...]:
        return tuple(r for r in self.rows if r.state == "error")

    def state_of(self, event: str, mode: Mode = "online") -> State | None:
        """The state of our own row for `event` × `mode` (foreign rows ignored)."""
        for row in self.rows:
            if row.event == event and row.mode == mode and row.state != "foreign":
                return row.state
        return None


def parse_bindings(rows: Iterable[Any]) -> list[Binding]:
    """`event.get`'s result as Bindings; unknown shapes are skipped."""
    bindings = []
    for row in rows:
        if not isinstance(row, Mapping) or not row.get("event"):
            continue
        offline = str(row.get("offline", "0")) == "1"
        bindings.append(
            Binding(
                event=str(row["event"]).upper(),
                mode="offline" if offline else "online",
                handler="" if offline else str(row.get("handler") or ""),
                auth_type=str(row.get("auth_type") or ""),
                connector=str(row.get("connector_id") or ""),
            )
        )
    return bindings


def effective(desired: Set[Subscription], *, ping: bool = False) -> frozenset[Subscription]:
    """The desired set plus implied bindings: ONOFFLINEEVENT online (§3.4), ONAPPTEST for ping."""
    wanted = {s for s in desired if not (s.event == OFFLINE_SIGNAL and s.mode == "offline")}
    if any(s.mode == "offline" for s in wanted):
        wanted.add(Subscription(OFFLINE_SIGNAL))
    if ping:
        wanted.add(Subscription(PING_EVENT))
    return frozenset(wanted)


def plan(
    wanted: Set[Subscription],
    bindings: Iterable[Binding],
    handler_url: str | None,
    released: Set[Subscription] = frozenset(),
) -> Plan:
    """Diff `wanted` (see `effective`) against the portal's rows.

    `released` are subscriptions the user turned off; only those offline rows are unbound.
    """
    our_path = urlsplit(handler_url).path if handler_url else None
    present: set[Subscription] = set()
    unbind: dict[tuple[str, str, str], Binding] = {}
    stale: list[Binding] = []
    foreign: list[Binding] = []
    for row in bindings:
        sub = row.subscription
        if row.mode == "offline":
            if row.connector:
                foreign.append(row)  # another queue partition (auth_connector, spec §3.1)
            elif sub in wanted:
                present.add(sub)
            elif sub in released:
                unbind.setdefault((row.event, "offline", ""), row)
            else:
                foreign.append(row)
        elif handler_url is not None and row.handler == handler_url:
            if sub in wanted:
                present.add(sub)
            else:
                unbind.setdefault((row.event, "online", row.handler), row)
        elif our_path is not None and urlsplit(row.handler).path == our_path:
            stale.append(row)
            unbind.setdefault((row.event, "online", row.handler), row)
        else:
            foreign.append(row)
    missing = sorted(wanted - present)
    return Plan(
        bound=tuple(sorted(present & wanted)),
        to_bind=tuple(s for s in missing if s.mode == "offline" or handler_url is not None),
        to_unbind=tuple(unbind.values()),
        stale=tuple(stale),
        foreign=tuple(foreign),
        waiting=tuple(s for s in missing if s.mode == "online" and handler_url is None),
    )


def calls(the_plan: Plan, handler_url: str | None, min_timeout: int = 10) -> list[Call]:
    """event.bind calls first (deliveries resume sooner), then event.unbind (spec §2.2, §2.3)."""
    planned = [
        Call("event.bind", _bind_params(s, handler_url, min_timeout), s) for s in the_plan.to_bind
    ]
    for row in the_plan.to_unbind:
        params: dict[str, Any] = {"event": row.event}
        if row.mode == "offline":
            params["event_type"] = "offline"
        else:
            # auth_type is left out: as a string it never matches for non-admins (spec §7.9).
            params["handler"] = row.handler
        planned.append(Call("event.unbind", params, row.subscription, row))
    return planned


def _bind_params(sub: Subscription, handler_url: str | None, min_timeout: int) -> dict[str, Any]:
    if sub.mode == "offline":
        return {"event": sub.event, "event_type": "offline"}
    params: dict[str, Any] = {"event": sub.event, "handler": handler_url}
    if sub.event == OFFLINE_SIGNAL:
        params["options"] = {"minTimeout": min_timeout}  # an object, not a string (§2.2, §7.10)
    return params


def report(
    the_plan: Plan,
    planned: Sequence[Call],
    outcomes: Sequence[object],
    handler_url: str | None,
) -> ReconcileReport:
    """Rows after the calls ran; `outcomes[i]` is the result of `planned[i]` or its exception."""
    rows: dict[tuple[str, str, str], SubscriptionRow] = {}
    moved = {(b.event, b.mode): b.handler for b in the_plan.stale}
    for sub in the_plan.bound:
        rows[(sub.event, sub.mode, "")] = SubscriptionRow(sub.event, sub.mode, "bound")
    for sub in the_plan.waiting:
        rows[(sub.event, sub.mode, "")] = SubscriptionRow(
            sub.event, sub.mode, "pending", "waiting for a public handler URL"
        )
    for call, outcome in zip(planned, outcomes, strict=True):
        sub = call.subscription
        failed = isinstance(outcome, BaseException) and not is_already_bound(outcome)
        if call.method == "event.bind":
            old = moved.get((sub.event, sub.mode))
            state: State = "error" if failed else ("stale-moved" if old else "bound")
            detail = str(outcome) if failed else (f"moved from {old}" if old else "")
            rows[(sub.event, sub.mode, "")] = SubscriptionRow(sub.event, sub.mode, state, detail)
        elif failed and call.binding is not None:
            rows[(sub.event, sub.mode, call.binding.handler)] = SubscriptionRow(
                sub.event, sub.mode, "error", str(outcome), call.binding.handler
            )
    for row in the_plan.foreign:
        rows[(row.event, row.mode, "foreign:" + row.handler + row.connector)] = SubscriptionRow(
            row.event, row.mode, "foreign", _foreign_detail(row), row.handler
        )
    return ReconcileReport(tuple(sorted(rows.values(), key=_row_order)), handler_url, len(planned))


def _foreign_detail(row: Binding) -> str:
    if row.mode == "online":
        return "another handler; left alone"
    if row.connector:
        return f"offline queue of auth_connector “{row.connector}”; left alone"
    return "offline binding not made by b24monitor; left alone"


def pending_report(the_plan: Plan, handler_url: str | None) -> ReconcileReport:
    """The rows while the calls are in flight: everything to bind shows as pending."""
    pending = [SubscriptionRow(s.event, s.mode, "pending", "binding…") for s in the_plan.to_bind]
    rows = [*report(the_plan, [], [], handler_url).rows, *pending]
    return ReconcileReport(tuple(sorted(rows, key=_row_order)), handler_url, 0)


def _row_order(row: SubscriptionRow) -> tuple[str, str, bool]:
    return (row.event, row.mode, row.state == "foreign")

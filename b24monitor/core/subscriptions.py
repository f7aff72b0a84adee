"""Subscription state: the desired set, its diff against `event.get`, and the resulting rows.

Pure data (spec §2.2–2.4, §3.4). A row is *ours* only when b24monitor's ledger says it made it
(`ours`: the keys of the rows it bound); reconcile unbinds or moves only those. Ours at the
current handler URL: kept while wanted, unbound when not; ours at another URL (an old tunnel URL)
is *stale* and moved. Every other row is *foreign* — the portal's installation handler (the
ONAPPINSTALL row it registers at the app's "Initial installation path", spec §1.1, §5.2), a
colleague's handler, a binding made by hand — shown, never touched, even at our URL; a foreign
row that already delivers a wanted subscription to our URL counts as bound (binding it again
would be "Handler already binded", §2.2). Whenever an offline subscription exists,
ONOFFLINEEVENT is bound online with options[minTimeout] so the monitor hears about new queue
rows (spec §3.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Literal

from b24monitor.core.app_settings import app_settings_warning
from b24monitor.core.portal_errors import is_already_bound

Mode = Literal["online", "offline"]
State = Literal["bound", "pending", "error", "stale-moved", "foreign"]

OFFLINE_SIGNAL = "ONOFFLINEEVENT"
PING_EVENT = "ONAPPTEST"
INSTALL_EVENT = "ONAPPINSTALL"
Key = tuple[str, str, str]
"""(event, mode, handler) of one registration; offline rows have handler ""."""
UNINSTALL_EVENT = "ONAPPUNINSTALL"  # issue 10: an uninstall is always noticed (spec §4 step 3)


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

    @property
    def key(self) -> Key:
        """What the ledger of our own bindings records for this row."""
        return (self.event, self.mode, self.handler)


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
    borrowed: tuple[Subscription, ...] = ()
    """Wanted and delivered to us by a row b24monitor did not make (it will never unbind it)."""


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
    role: str = ""
    """"install" for the application's installation handler (a foreign row), else ""."""


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """The outcome of one reconcile: every row's state, sorted by event."""

    rows: tuple[SubscriptionRow, ...] = ()
    handler_url: str | None = None
    calls: int = 0

    @property
    def errors(self) -> tuple[SubscriptionRow, ...]:
        return tuple(r for r in self.rows if r.state == "error")

    @property
    def install_handler(self) -> str | None:
        """Where the portal POSTs installs (its ONAPPINSTALL registration), when it has one."""
        urls = [r.handler for r in self.rows if r.role == "install"]
        if self.handler_url in urls:
            return self.handler_url
        return urls[0] if urls else None

    @property
    def install_warning(self) -> str | None:
        """The app-settings warning (core/app_settings.py) when the portal's installation
        handler no longer points at our handler URL."""
        return app_settings_warning(self.install_handler, self.handler_url)

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
    """The desired set plus implied bindings: ONOFFLINEEVENT online (§3.4), and for a linked
    profile (`ping`) ONAPPTEST for ping (§2.5) and ONAPPUNINSTALL so an uninstall is noticed."""
    wanted = {s for s in desired if not (s.event == OFFLINE_SIGNAL and s.mode == "offline")}
    if any(s.mode == "offline" for s in wanted):
        wanted.add(Subscription(OFFLINE_SIGNAL))
    if ping:
        wanted.add(Subscription(PING_EVENT))
        wanted.add(Subscription(UNINSTALL_EVENT))
    return frozenset(wanted)


def plan(
    wanted: Set[Subscription],
    bindings: Iterable[Binding],
    handler_url: str | None,
    *,
    ours: Set[Key] = frozenset(),
) -> Plan:
    """Diff `wanted` (see `effective`) against the portal's rows; only rows in `ours` may go."""
    present: set[Subscription] = set()
    borrowed: set[Subscription] = set()
    unbind: dict[Key, Binding] = {}
    stale: list[Binding] = []
    foreign: list[Binding] = []
    for row in bindings:
        sub = row.subscription
        here = row.mode == "offline" or (handler_url is not None and row.handler == handler_url)
        if row.connector:
            foreign.append(row)  # another queue partition (auth_connector, spec §3.1)
        elif row.key in ours:
            if here and sub in wanted:
                present.add(sub)
            elif here or handler_url is not None:
                unbind.setdefault(row.key, row)
                if not here:
                    stale.append(row)
            # ours at an old URL while there is no new one yet: left until there is
        elif here and sub in wanted:
            borrowed.add(sub)
        else:
            foreign.append(row)
    missing = sorted(wanted - present - borrowed)
    return Plan(
        bound=tuple(sorted(present & wanted)),
        to_bind=tuple(s for s in missing if s.mode == "offline" or handler_url is not None),
        to_unbind=tuple(unbind.values()),
        stale=tuple(stale),
        foreign=tuple(foreign),
        waiting=tuple(s for s in missing if s.mode == "online" and handler_url is None),
        borrowed=tuple(sorted(borrowed)),
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
    for sub in the_plan.borrowed:
        rows[(sub.event, sub.mode, "")] = SubscriptionRow(
            sub.event, sub.mode, "bound", "bound outside b24monitor; it never unbinds it"
        )
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
            row.event, row.mode, "foreign", foreign_detail(row), row.handler, _role(row)
        )
    return ReconcileReport(tuple(sorted(rows.values(), key=_row_order)), handler_url, len(planned))


def is_install_handler(row: Binding) -> bool:
    """A foreign ONAPPINSTALL row: the portal's registration at the app's installation path."""
    return row.event == INSTALL_EVENT and row.mode == "online"


def _role(row: Binding) -> str:
    return "install" if is_install_handler(row) else ""


def foreign_detail(row: Binding) -> str:
    """Why a row b24monitor did not make is shown and left alone, in a few words."""
    if is_install_handler(row):
        return "the application's installation handler (the portal's own); left alone"
    if row.mode == "online":
        return "not made by b24monitor; left alone"
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

"""SubscriptionsState: what the subscriptions dock shows, without Qt: events, wishes, states.

Filled from three sources that flow one way into it: the portal's `events` list merged with the
catalog (§2.1), the desired set the user asked for (persisted by SubscriptionManager) and the
last ReconcileReport. Requests still in flight show as pending until the session answers.
Observers get `about_to_reset`/`reset` when the rows change and `changed` when only states do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from b24monitor.core.catalog import Catalog, CatalogEntry
from b24monitor.core.offline_twins import NO_TWIN
from b24monitor.core.subscriptions import (
    OFFLINE_SIGNAL,
    PING_EVENT,
    Mode,
    ReconcileReport,
    Subscription,
    SubscriptionRow,
)
from b24monitor.services.subscriptions import Desired

MODES: tuple[Mode, Mode] = ("online", "offline")
Key = tuple[str, Mode]


@dataclass(frozen=True, slots=True)
class Item:
    """One row under a scope: an event, or a binding of it to another handler (`foreign`)."""

    entry: CatalogEntry
    foreign: SubscriptionRow | None = None


@dataclass(frozen=True, slots=True)
class Group:
    scope: str
    items: tuple[Item, ...]

    def events(self) -> list[str]:
        return [item.entry.code for item in self.items if item.foreign is None]


@dataclass(frozen=True, slots=True)
class Status:
    """The state of one event × mode: a report state, "requested" (in flight) or "waiting"."""

    state: str  # bound | pending | error | stale-moved | requested | waiting | ""
    detail: str = ""


class Observer(Protocol):
    def about_to_reset(self) -> None: ...

    def reset(self) -> None: ...

    def changed(self) -> None: ...


class SubscriptionsState:
    """Groups of events with what is wanted and what the portal says; no Qt, no I/O."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or Catalog.load()
        self.groups: tuple[Group, ...] = ()
        self.desired = Desired()
        self.report = ReconcileReport()
        self._entries: tuple[CatalogEntry, ...] = ()
        self._listed: tuple[str, ...] | None = None
        self._requested: dict[Key, bool] = {}
        self.twins = False  # "Catch missed events" is on: ticked online events get twins
        self._observers: list[Observer] = []

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    # -- inputs ---------------------------------------------------------------------------------

    def set_listed(self, codes: Iterable[str] | None) -> None:
        """The portal's `events` answer (None: not known, no rows)."""
        self._listed = None if codes is None else tuple(codes)
        self._rebuild()

    def set_report(self, report: ReconcileReport) -> None:
        foreign_before, codes_before = self._foreign(self.report), self._codes()
        self.report = report
        if self._foreign(report) != foreign_before or self._codes() != codes_before:
            self._rebuild()  # foreign rows and newly reported events are rows of their own
        else:
            self._changed()

    def set_desired(self, desired: Desired) -> None:
        codes_before = self._codes()
        self.desired = desired
        if self._codes() != codes_before:
            self._rebuild()
        else:
            self._changed()

    def set_twins(self, on: bool) -> None:
        """Whether the safety net binds an offline twin of each ticked online event."""
        if on != self.twins:
            self.twins = on
            self._changed()

    def request(self, keys: Iterable[Key], wanted: bool) -> None:
        """The user asked for these; shown as requested until `settle`."""
        for key in keys:
            self._requested[key] = wanted
        self._changed()

    def settle(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self._requested.pop(key, None)
        self._changed()

    # -- what the view asks ---------------------------------------------------------------------

    def wanted(self, event: str, mode: Mode) -> bool:
        requested = self._requested.get((event, mode))
        if requested is not None:
            return requested
        return Subscription(event, mode) in self.desired.wanted

    def implied(self, event: str, mode: Mode) -> bool:
        """Bound by b24monitor itself, not by a tick: ONAPPTEST for Ping, ONOFFLINEEVENT for
        the offline queue (core.subscriptions.effective), and with the safety net on the
        offline twin of every ticked online event (core/offline_twins.py)."""
        if mode == "offline":
            return self.twins and event not in NO_TWIN and self.wanted(event, "online")
        if event not in (PING_EVENT, OFFLINE_SIGNAL):
            return False
        return self.report.state_of(event, mode) not in (None, "foreign")

    def status(self, event: str, mode: Mode) -> Status:
        if (event, mode) in self._requested:
            return Status("requested")
        for row in self.report.rows:
            if row.event == event and row.mode == mode and row.state != "foreign":
                return Status(row.state, row.detail)
        if self.wanted(event, mode):
            return Status("waiting")
        return Status("")

    def active(self, item: Item) -> bool:
        """Worth showing under "ticked only": wanted, bound, failing, or someone else's."""
        if item.foreign is not None:
            return True
        code = item.entry.code
        if any(row.event == code for row in self._foreign(self.report)):
            return True  # its foreign row needs its event row above it
        return any(
            self.wanted(code, mode) or self.implied(code, mode) or self.status(code, mode).state
            for mode in MODES
        )

    def counts(self) -> Counter[str]:
        """Rows per state over the whole report (foreign included), for the footer."""
        return Counter(row.state for row in self.report.rows)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _foreign(report: ReconcileReport) -> tuple[SubscriptionRow, ...]:
        return tuple(row for row in report.rows if row.state == "foreign")

    def _codes(self) -> frozenset[str]:
        """What gets a row: the listed events, and wished-for or reported ones the list lacks
        (outside the app's scopes), so that their errors can be seen."""
        if self._listed is None:
            return frozenset()
        extra = {s.event for s in self.desired.wanted} | {r.event for r in self.report.rows}
        return frozenset(self._listed) | extra

    def _rebuild(self) -> None:
        self._entries = tuple(self.catalog.merge(sorted(self._codes())))
        foreign: dict[str, list[SubscriptionRow]] = {}
        for row in self._foreign(self.report):
            foreign.setdefault(row.event, []).append(row)
        by_scope: dict[str, list[Item]] = {}
        for entry in self._entries:
            items = by_scope.setdefault(entry.scope, [])
            items.append(Item(entry))
            items.extend(Item(entry, row) for row in foreign.get(entry.code, ()))
        for observer in self._observers:
            observer.about_to_reset()
        self.groups = tuple(Group(scope, tuple(items)) for scope, items in by_scope.items())
        for observer in self._observers:
            observer.reset()

    def _changed(self) -> None:
        for observer in self._observers:
            observer.changed()

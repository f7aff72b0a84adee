"""Keeps the portal's bindings equal to the desired set: persist the intent first, then reconcile.

Reconcile = `event.get` → diff (core/subscriptions.py) → ONE `batch` of event.bind/event.unbind
(spec §2.2–2.4, §5.5). The desired set lives in `<data dir>/subscriptions.json` per profile and
is written before any call, so a crash or a failed call never loses what the user asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b24monitor.core import subscriptions as subs
from b24monitor.core.subscriptions import Mode, ReconcileReport, Subscription
from b24monitor.services.filelock import locked, read_json, write_json
from b24monitor.services.portal_client import PortalClient

_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Desired:
    """What the user asked for: `wanted`, and `released` (turned off, maybe still bound)."""

    wanted: frozenset[Subscription] = frozenset()
    released: frozenset[Subscription] = frozenset()


class DesiredStore:
    """The desired subscriptions of one profile, shared safely between processes."""

    def __init__(self, data_dir: Path, profile_name: str) -> None:
        self._path = data_dir / "subscriptions.json"
        self._profile = profile_name

    def load(self) -> Desired:
        with locked(self._path, exclusive=False):
            return _decode(self._read_all().get(self._profile))

    def set(self, subscription: Subscription, wanted: bool) -> Desired:
        """Turn one subscription on or off (off also marks it for unbinding)."""
        return self._update(lambda d: _toggled(d, subscription, wanted))

    def forget_released(self, done: Iterable[Subscription]) -> Desired:
        """Drop released subscriptions that are no longer bound."""
        gone = frozenset(done)
        return self._update(lambda d: Desired(d.wanted, d.released - gone))

    def _update(self, change: Callable[[Desired], Desired]) -> Desired:
        with locked(self._path):
            everything = self._read_all()
            desired = change(_decode(everything.get(self._profile)))
            everything[self._profile] = _encode(desired)
            write_json(self._path, {"format": _FORMAT, "profiles": everything})
            return desired

    def _read_all(self) -> dict[str, Any]:
        document = read_json(self._path)
        profiles = document.get("profiles") if isinstance(document, dict) else None
        return profiles if isinstance(profiles, dict) else {}


class SubscriptionManager:
    """Binds what is wanted at the current handler URL; states flow out through `on_report`."""

    def __init__(
        self,
        client: PortalClient,
        desired_store: DesiredStore,
        handler_url: str | None,
        *,
        min_timeout: int = 10,
        ping: bool = True,
        on_report: Callable[[ReconcileReport], None] | None = None,
    ) -> None:
        self._client = client
        self._store = desired_store
        self._handler_url = handler_url
        self._min_timeout = min_timeout
        self._ping = ping  # keep ONAPPTEST bound so the Ping button works (spec §2.5)
        self._on_report = on_report
        self._lock = asyncio.Lock()
        self.report = ReconcileReport(handler_url=handler_url)

    @property
    def handler_url(self) -> str | None:
        return self._handler_url

    def desired(self) -> Desired:
        return self._store.load()

    def remember(self, event: str, mode: Mode = "online", wanted: bool = True) -> None:
        """Persist the user's choice without calling the portal (not installed yet)."""
        self._store.set(Subscription(event.strip().upper(), mode), wanted)

    async def set_wanted(
        self, event: str, mode: Mode = "online", wanted: bool = True
    ) -> ReconcileReport:
        """Persist the user's choice, then reconcile."""
        self._store.set(Subscription(event.strip().upper(), mode), wanted)
        return await self.reconcile()

    async def set_handler_url(self, url: str | None) -> ReconcileReport:
        """A new public URL (tunnel restarted): move our bindings there."""
        self._handler_url = url
        return await self.reconcile()

    async def reconcile(self) -> ReconcileReport:
        """event.get → diff → one batch; returns (and publishes) every row's state."""
        async with self._lock:
            desired = self._store.load()
            url = self._handler_url
            wanted = subs.effective(desired.wanted, ping=self._ping)
            rows = await self._client.call("event.get")
            bindings = subs.parse_bindings(rows if isinstance(rows, list) else [])
            plan = subs.plan(wanted, bindings, url, desired.released)
            planned = subs.calls(plan, url, self._min_timeout)
            if planned:
                self._publish(subs.pending_report(plan, url))
            outcomes = await self._client.batch([(c.method, c.params) for c in planned])
            self._forget_unbound(desired, bindings, planned, outcomes)
            return self._publish(subs.report(plan, planned, outcomes, url))

    async def unbind_session_bindings(self) -> ReconcileReport:
        """On exit: unbind our online rows at the current URL (it dies with the session).

        No event.get first, to keep shutdown short; unbinding a missing row is not an error
        (`count: 0`, spec §2.3). The desired set is kept, so the next session binds again.
        """
        async with self._lock:
            url = self._handler_url
            if url is None:
                return self.report
            wanted = subs.effective(self._store.load().wanted, ping=self._ping)
            bound = {
                Subscription(r.event, r.mode) for r in self.report.rows if r.state != "foreign"
            }
            online = sorted(s for s in wanted | bound if s.mode == "online")
            rows = [subs.Binding(s.event, "online", handler=url) for s in online]
            plan = subs.Plan(to_unbind=tuple(rows))
            planned = subs.calls(plan, url)
            outcomes = await self._client.batch([(c.method, c.params) for c in planned])
            return self._publish(subs.report(plan, planned, outcomes, url))

    def _forget_unbound(
        self,
        desired: Desired,
        bindings: list[subs.Binding],
        planned: list[subs.Call],
        outcomes: list[Any],
    ) -> None:
        still_bound = {b.subscription for b in bindings if b.mode == "offline"}
        done = {s for s in desired.released if s.mode == "online" or s not in still_bound}
        done |= {
            c.subscription
            for c, o in zip(planned, outcomes, strict=True)
            if c.method == "event.unbind" and not isinstance(o, BaseException)
        }
        if done & desired.released:
            self._store.forget_released(done & desired.released)

    def _publish(self, report: ReconcileReport) -> ReconcileReport:
        self.report = report
        if self._on_report is not None:
            self._on_report(report)
        return report


def _toggled(desired: Desired, subscription: Subscription, wanted: bool) -> Desired:
    if wanted:
        return Desired(desired.wanted | {subscription}, desired.released - {subscription})
    return Desired(desired.wanted - {subscription}, desired.released | {subscription})


def _decode(entry: Any) -> Desired:
    if not isinstance(entry, dict):
        return Desired()
    return Desired(_subscriptions(entry.get("wanted")), _subscriptions(entry.get("released")))


def _subscriptions(items: Any) -> frozenset[Subscription]:
    found = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 2 and item[1] in ("online", "offline"):
            found.add(Subscription(str(item[0]).upper(), item[1]))
    return frozenset(found)


def _encode(desired: Desired) -> dict[str, Any]:
    return {
        "wanted": [[s.event, s.mode] for s in sorted(desired.wanted)],
        "released": [[s.event, s.mode] for s in sorted(desired.released)],
    }
